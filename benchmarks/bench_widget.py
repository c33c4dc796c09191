"""Benchmark the renderer: first paint of a graph collapsed by layer, expanding a group, and search.

Targets (issue: a ~10k-op model stays interactive): first paint <= 1 s, expand <= 200 ms,
search <= 100 ms. A real model's document:

    gradviz run --json /tmp/resnet50.json benchmarks/models/resnet50_step.py
    python benchmarks/bench_widget.py --document /tmp/resnet50.json

Draws the offline HTML report (the same renderer as the widget) in headless Debian Chromium and
prints the figures. The document comes from ``js/scripts/synthetic.mjs`` when it and Node are
there, else from the Python generator in ``tests/fixtures/documents.py``; ``--document`` takes a
real one (``gradviz run --json``).

    python benchmarks/bench_widget.py [--ops 2000] [--runs 5] [--document doc.json]

"first paint": navigation start to the frame in which the first graph node is on the page.
"expand": click on a collapsed group to the frame after the redrawn graph, right after the first
paint and again one second after it (by then the worker has laid out each group's expansion).
"search": the search itself, from the box's search to the frame with the matches lit (typing waits
120 ms for the next key before searching; the figure with that wait is printed beside it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradviz.report import save_report  # noqa: E402

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

NODE = ".gradviz-root .gv-node"
PAUSE_MS = 1000
GROUP = ".gradviz-root .gv-node.gv-group"

FIRST_NODE_PAINTED = f"""() => {{
    if (!document.querySelector({json.dumps(NODE)})) return false;
    return new Promise(resolve => requestAnimationFrame(() => resolve(performance.now())));
}}"""

EXPAND_FIRST_GROUP = f"""async () => {{
    const group = document.querySelector({json.dumps(GROUP)});
    if (!group) return null;
    const before = document.querySelectorAll({json.dumps(NODE)}).length;
    const t0 = performance.now();
    group.dispatchEvent(new MouseEvent("click", {{bubbles: true}}));
    // The renderer replaces the drawing after the worker's layout; wait for that, then a frame.
    await new Promise((resolve, reject) => {{
        const deadline = t0 + 60000;
        const check = () => {{
            if (!group.isConnected) resolve();
            else if (performance.now() > deadline) reject(new Error("group never expanded"));
            else requestAnimationFrame(check);
        }};
        requestAnimationFrame(check);
    }});
    await new Promise(resolve => requestAnimationFrame(resolve));
    const after = document.querySelectorAll({json.dumps(NODE)}).length;
    return {{ms: performance.now() - t0, before, after}};
}}"""


# The renderer marks the end of each stage of a drawing (`stage()` in js/src/app.ts); with the
# navigation timing they say where the first paint's time goes.
STAGE_NAMES = ("document", "folded", "grouped", "findings", "view", "laid-out", "drawn")
STAGE_LABELS = {
    "page": "page parsed",
    "document": "document unpacked and parsed, renderer mounted",
    "folded": "graph folded",
    "grouped": "groups built, what to open decided",
    "findings": "findings panel",
    "view": "visible view computed",
    "laid-out": "layout",
    "drawn": "drawn",
}
STAGES = f"""() => {{
    const at = {{page: performance.getEntriesByType("navigation")[0].domInteractive}};
    for (const name of {json.dumps(list(STAGE_NAMES))}) {{
        const m = performance.getEntriesByName("gradviz:" + name, "mark");
        if (m.length) at[name] = m[m.length - 1].startTime;
    }}
    return at;
}}"""

SEARCH = """async (query) => {
    const box = document.querySelector(".gradviz-root input[type=search]");
    const root = document.querySelector(".gradviz-root");
    delete root.dataset.searchMs;
    const t0 = performance.now();
    box.value = query;
    box.dispatchEvent(new Event("input", {bubbles: true}));
    // The box waits 120 ms for the next key before it searches; then the search, then a frame.
    await new Promise((resolve) => {
        const check = () => (root.dataset.searchMs !== undefined ? resolve() : requestAnimationFrame(check));
        requestAnimationFrame(check);
    });
    await new Promise(resolve => requestAnimationFrame(resolve));
    return {ms: Number(root.dataset.searchMs), typed_ms: performance.now() - t0,
            matches: root.querySelectorAll(".gv-match").length};
}"""


def make_document(n_ops: int, path: str | None) -> tuple[dict[str, Any], str]:
    if path:
        return json.loads(pathlib.Path(path).read_text()), path
    script = ROOT / "js" / "scripts" / "synthetic.mjs"
    if script.exists() and shutil.which("node"):
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "synthetic.json"
            subprocess.run(["node", str(script), "--ops", str(n_ops), str(out)], check=True, cwd=ROOT)
            return json.loads(out.read_text()), f"js/scripts/synthetic.mjs --ops {n_ops}"
    spec = importlib.util.spec_from_file_location("documents", ROOT / "tests/fixtures/documents.py")
    assert spec and spec.loader
    documents = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(documents)
    return documents.synthetic_document(n_ops), f"tests/fixtures/documents.py synthetic_document({n_ops})"


def measure(browser: Any, url: str, pause_ms: int = 0) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        first_paint = page.wait_for_function(FIRST_NODE_PAINTED, polling="raf", timeout=120_000).json_value()
        wall = (time.perf_counter() - start) * 1000
        stages = page.evaluate(STAGES)
        visible = page.locator(NODE).count()
        groups = page.locator(GROUP).count()
        if pause_ms:
            page.wait_for_timeout(pause_ms)
        expand = page.evaluate(EXPAND_FIRST_GROUP)
        search = page.evaluate(SEARCH, "kernel")
        return {
            "stages": stages,
            "search": search,
            "first_paint_ms": first_paint,
            "wall_ms": wall,
            "visible_nodes": visible,
            "groups": groups,
            "expand": expand,
            "worker": any(u.startswith("blob:") for u in requests),
            "errors": errors,
        }
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--document", help="a Document JSON to draw instead of a synthetic one")
    args = parser.parse_args()

    executable = next((c for c in CHROMIUM_CANDIDATES if os.access(c, os.X_OK)), None)
    if executable is None:
        print("Debian Chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    document, origin = make_document(args.ops, args.document)
    graph = document["graph"]
    ops = sum(1 for n in graph["nodes"] if n.get("kind") == "op")
    with tempfile.TemporaryDirectory() as tmp:
        report = save_report(document, pathlib.Path(tmp) / "bench.html")
        size = report.stat().st_size
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                runs = [measure(browser, report.resolve().as_uri()) for _ in range(args.runs)]
                # The same click a second later, as a person makes it: the worker has laid out
                # each visible group's expansion in the meantime.
                paused = [measure(browser, report.resolve().as_uri(), PAUSE_MS) for _ in range(args.runs)]
            finally:
                browser.close()

    print(f"document: {origin}")
    print(f"  {ops:,} ops, {len(graph['nodes']):,} nodes, {len(graph['edges']):,} edges")
    print(f"  report: {size:,} bytes ({size / 1e6:.2f} MB)")
    first = runs[0]
    print(
        f"  first view: {first['visible_nodes']} boxes, {first['groups']} collapsed groups;"
        f" layout in a Web Worker: {'yes' if first['worker'] else 'NO'}"
    )
    paint = [r["first_paint_ms"] for r in runs]
    print(
        f"first paint (ms, {len(runs)} runs): median {statistics.median(paint):.0f},"
        f" min {min(paint):.0f}, max {max(paint):.0f}"
    )
    print("  where the first paint goes (ms, median of the runs):")
    previous = None
    for name in ("page", *STAGE_NAMES):
        spans = [r["stages"][name] - (r["stages"][previous] if previous else 0) for r in runs
                 if name in r["stages"] and (previous is None or previous in r["stages"])]  # fmt: skip
        if spans:
            print(f"    {statistics.median(spans):6.0f}  {STAGE_LABELS[name]}")
            previous = name
    if previous:
        rest = [r["first_paint_ms"] - r["stages"][previous] for r in runs if previous in r["stages"]]
        print(f"    {statistics.median(rest):6.0f}  to the painted frame (style, layout, paint of the page)")
    expands = [r["expand"] for r in runs if r["expand"]]
    if expands:
        ms = [e["ms"] for e in expands]
        print(
            f"expand a group (ms): median {statistics.median(ms):.0f}, min {min(ms):.0f},"
            f" max {max(ms):.0f} ({expands[0]['before']} -> {expands[0]['after']} boxes)"
        )
        ms = [r["expand"]["ms"] for r in paused if r["expand"]]
        print(
            f"expand a group {PAUSE_MS / 1000:g} s after the first paint (ms): median {statistics.median(ms):.0f},"
            f" min {min(ms):.0f}, max {max(ms):.0f}"
        )
    else:
        print("expand a group: no collapsed group in the first view")
    searches = [r["search"] for r in runs if r.get("search")]
    if searches:
        ms = [x["ms"] for x in searches]
        print(
            f"search 'kernel' (ms): median {statistics.median(ms):.0f}, min {min(ms):.0f}, max {max(ms):.0f}"
            f" ({searches[0]['matches']} boxes lit; from the key to the lit frame, with the 120 ms wait for"
            f" the next key: median {statistics.median(x['typed_ms'] for x in searches):.0f})"
        )
    errors = [e for r in runs for e in r["errors"]]
    if errors:
        print(f"page errors: {errors[:3]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
