"""The report stage: one offline HTML file, checked as text and in a real Chromium from file://."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from gradviz import report
from gradviz.errors import BundleMissingError, GradvizError
from gradviz.report import report_html, save_report

IMG_XSS = "<img src=x onerror=alert(1)>"
SCRIPT_XSS = "</script><script>alert(1)</script>"

# What the renderer puts on the page (see js/src). One place to change if the renderer does.
GRAPH = ".gradviz-root .gv-node"
BROKEN_EDGE = ".gradviz-root .gv-edge.gv-broken"
FINDING = ".gradviz-root .gv-finding"
DETAILS = ".gradviz-root .gv-details"
VARIABLE = ".gradviz-root .gv-node.gv-variable"

MAX_REPORT_BYTES_1000_OPS = 1_500_000
SNAPSHOTS = Path(__file__).parent / "snapshots"


# A stand-in for gradviz/static/report.js where a test checks Python's output, not the drawing.
# It holds "</script>" in a comment and a string, as a bundle may.
FAKE_BUNDLE = """\
(function () {
  // a comment with </script> in it
  globalThis.gradviz = {
    localModel: function (values) { return {get: function (k) { return values[k]; }}; },
    render: function (el, model) { el.textContent = "</script>"; }
  };
})();
"""


@pytest.fixture
def fake_bundle(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(report, "read_bundle", lambda name: FAKE_BUNDLE)
    return FAKE_BUNDLE


class _Scripts(HTMLParser):
    """The page's <script> elements and CSP as a browser's HTML parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.csp: str | None = None
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self._open, self._text = attributes, []
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = attributes.get("content")

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open, "".join(self._text)))
            self._open = None


def parse(page: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return parser


def csp_directives(page: str) -> dict[str, list[str]]:
    csp = parse(page).csp
    assert csp, "the report has no Content-Security-Policy meta tag"
    directives = {}
    for part in csp.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# ------------------------------------------------------------------------------ as text


def test_names_cannot_close_the_json_script_block(fake_bundle: str, documents: Any) -> None:
    doc = documents.with_hostile_names(
        documents.outside_tape_document(), scope=IMG_XSS, name=SCRIPT_XSS + " & \u2028\u2029"
    )
    page = report_html(doc)
    scripts = parse(page).scripts
    data = [text for attrs, text in scripts if attrs.get("type") == "application/gzip"]
    assert len(data) == 1
    assert re.fullmatch("[A-Za-z0-9+/=]+", data[0])  # base64: nothing in it can end the element
    # the block ended where it should and lost nothing
    assert json.loads(gzip.decompress(base64.b64decode(data[0]))) == doc
    assert [attrs.get("id") for attrs, _ in scripts] == ["gradviz-document", None, None]
    assert IMG_XSS not in page
    assert "<script>alert(1)" not in page


def test_title_program_and_error_are_html_escaped(fake_bundle: str, documents: Any) -> None:
    doc = documents.outside_tape_document(program=f"{IMG_XSS}.py")
    doc["meta"]["error"] = f"ValueError: {SCRIPT_XSS}"
    page = report_html(doc, title=SCRIPT_XSS)
    assert IMG_XSS not in page and "<script>alert(1)" not in page
    assert f"<title>{html.escape(SCRIPT_XSS)}</title>" in page
    assert html.escape(f"{IMG_XSS}.py") in page
    assert html.escape(f"ValueError: {SCRIPT_XSS}") in page


def test_csp_allows_only_the_inline_scripts_and_a_blob_worker(fake_bundle: str, documents: Any) -> None:
    page = report_html(documents.outside_tape_document())
    csp = csp_directives(page)
    assert csp["default-src"] == ["'none'"]
    assert csp["connect-src"] == ["'none'"]
    assert csp["worker-src"] == ["blob:"]
    assert csp["img-src"] == ["data:"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]
    everything = " ".join(v for values in csp.values() for v in values)
    for forbidden in ("http", "*", "'self'", "file:", "'unsafe-eval'"):
        assert forbidden not in everything
    # Scripts run by hash, so no injected inline script or onerror= handler can run.
    executable = [text for attrs, text in parse(page).scripts if attrs.get("type") is None]
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode() + "'" for t in executable}
    assert sorted(csp["script-src"]) == sorted(hashes)
    assert len(executable) == 2 and "</script" not in executable[0].lower()


def test_header_says_what_ran_when_and_with_which_versions(fake_bundle: str, documents: Any) -> None:
    page = report_html(documents.outside_tape_document())
    for text in (
        "train.py",
        "2026-01-02 03:04:05 UTC",
        "TensorFlow 2.21.0",
        "Keras 3.12.0",
        "Python 3.11.2",
        "gradviz 0.1.0",
        "1 of 1 gradients is missing",
    ):
        assert text in page
    # Viewers without JavaScript still get the finding and its culprit line.
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert "outside_tape at train.py:5" in noscript and "z = y * 2" in noscript


def test_save_report_writes_what_report_html_returns(fake_bundle: str, documents: Any, tmp_path: Path) -> None:
    doc = documents.outside_tape_document(variable_name="w\u00e9ight \u2028")
    path = save_report(doc, tmp_path / "nested" / "r.html", title="T")
    assert path == tmp_path / "nested" / "r.html"
    assert path.read_bytes().decode("utf-8") == report_html(doc, title="T")


def test_read_report_gives_the_document_back_byte_for_byte(fake_bundle: str, documents: Any, tmp_path: Path) -> None:
    doc = documents.outside_tape_document(variable_name="w\u00e9ight \ud800 </script>")
    first = save_report(doc, tmp_path / "a.html")
    assert report.read_report(first) == doc  # a lone surrogate comes back as it went in
    # the same document makes the same page (no timestamp in the compressed stream)
    assert save_report(doc, tmp_path / "b.html").read_bytes() == first.read_bytes()


def test_read_report_of_another_file_says_so(tmp_path: Path) -> None:
    other = tmp_path / "page.html"
    other.write_text("<html><body>hello</body></html>", encoding="utf-8")
    with pytest.raises(GradvizError, match="is not a gradviz report"):
        report.read_report(other)


def test_missing_bundle_says_how_to_build_it() -> None:
    with pytest.raises(BundleMissingError, match=r"npm run build") as caught:
        report.read_bundle("no-such-bundle.js")
    assert isinstance(caught.value, GradvizError)


def test_document_that_is_not_plain_json_is_refused(fake_bundle: str, documents: Any) -> None:
    doc = documents.outside_tape_document()
    doc["meta"]["duration_s"] = float("nan")
    with pytest.raises(GradvizError, match="not plain JSON"):
        report_html(doc)


def test_1000_op_report_is_at_most_1_5_mb(documents: Any) -> None:
    page = report_html(documents.synthetic_document(1000))
    size = len(page.encode("utf-8"))
    print(f"1,000-op report: {size:,} bytes")
    assert size <= MAX_REPORT_BYTES_1000_OPS


# ------------------------------------------------------------------------------ in Chromium


def open_report(page: Any, path: Path) -> str:
    url = path.resolve().as_uri()
    page.goto(url)
    return url


def assert_offline_and_clean(browser_log: Any, url: str) -> None:
    """Nothing but the page itself and the renderer's Blob worker was requested; no errors."""
    others = [u for u in browser_log.requests if u != url and not u.startswith(("blob:", "data:"))]
    assert others == [], f"the report made network requests: {others}"
    # The CSP lets the renderer's layout worker start (it falls back to the main thread if not).
    assert any(u.startswith("blob:") for u in browser_log.requests), "no Blob-URL layout worker"
    assert browser_log.failed_requests == []
    assert browser_log.page_errors == []
    assert browser_log.console_problems() == []  # a request the CSP refused is logged here
    assert browser_log.dialogs == []


@pytest.mark.browser
def test_report_draws_the_broken_edge_and_the_finding(
    page: Any, browser_log: Any, documents: Any, tmp_path: Path, artifacts_dir: Path
) -> None:
    url = open_report(page, save_report(documents.outside_tape_document(), tmp_path / "r.html"))
    page.wait_for_selector(BROKEN_EDGE, state="attached", timeout=15_000)
    assert page.locator(GRAPH).count() >= 3
    broken = page.locator(BROKEN_EDGE).first
    red, dash = broken.locator("path.gv-line").evaluate(
        "el => [getComputedStyle(el).stroke, getComputedStyle(el).strokeDasharray]"
    )
    r, g, b = (int(v) for v in re.findall(r"\d+", red)[:3])
    assert r > 150 and g < 100 and b < 100, f"broken edge is not red: {red}"
    assert dash not in ("", "none"), "broken edge is not dashed"
    finding = page.locator(FINDING).first.inner_text()
    assert "outside_tape" in finding and "train.py:5" in finding and "z = y * 2" in finding
    # What ran, when, with which versions: the title from Python, the rest drawn by the renderer.
    assert page.get_by_role("heading", name="gradviz: train.py").is_visible()
    shown = page.locator("body").inner_text()
    for text in ("train.py", "2026-01-02 03:04:05 UTC", "TensorFlow 2.21.0", "Python 3.11.2"):
        assert text in shown
    page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)
    assert_offline_and_clean(browser_log, url)


@pytest.mark.browser
def test_clicking_a_node_shows_its_details(page: Any, browser_log: Any, documents: Any, tmp_path: Path) -> None:
    url = open_report(page, save_report(documents.outside_tape_document(), tmp_path / "r.html"))
    page.wait_for_selector(BROKEN_EDGE, state="attached", timeout=15_000)
    page.locator(VARIABLE).filter(has_text="x").first.click()
    details = page.locator(DETAILS).filter(has_text="Selected variable")
    details.wait_for(timeout=5_000)
    text = details.inner_text()
    assert "train.py:2" in text and "x = tf.Variable(1.0)" in text and "v:0" in text
    assert page.evaluate("() => globalThis.gradvizReportModel.get('selected_node')") == "v:0"
    assert_offline_and_clean(browser_log, url)


@pytest.mark.browser
def test_hostile_layer_name_shows_as_text_and_runs_nothing(
    page: Any, browser_log: Any, documents: Any, tmp_path: Path
) -> None:
    doc = documents.with_hostile_names(documents.outside_tape_document(), scope=IMG_XSS, name=SCRIPT_XSS)
    url = open_report(page, save_report(doc, tmp_path / "r.html"))
    page.wait_for_selector(BROKEN_EDGE, state="attached", timeout=15_000)
    page.wait_for_timeout(300)  # give any injected handler its chance to fire
    drawn = page.evaluate("() => document.querySelector('.gradviz-root').textContent")
    assert IMG_XSS in drawn, "the layer name is not shown as literal text"
    assert SCRIPT_XSS in drawn, "the variable name is not shown as literal text"
    assert page.evaluate("() => document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("() => document.querySelectorAll('script').length") == 3
    assert_offline_and_clean(browser_log, url)  # includes: no alert() dialog


@pytest.mark.browser
def test_1000_op_report_renders_offline(page: Any, browser_log: Any, documents: Any, tmp_path: Path) -> None:
    url = open_report(page, save_report(documents.synthetic_document(1000), tmp_path / "r.html"))
    page.wait_for_selector(GRAPH, state="attached", timeout=30_000)
    assert page.locator(FINDING).first.inner_text()
    assert_offline_and_clean(browser_log, url)


@pytest.mark.browser
def test_report_that_cannot_draw_still_says_what_ran(
    page: Any, browser_log: Any, documents: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_bundle = "globalThis.gradviz = {localModel: function () { return {}; }, render: function () { throw new Error('boom'); }};"
    monkeypatch.setattr(report, "read_bundle", lambda name: broken_bundle)
    open_report(page, save_report(documents.outside_tape_document(), tmp_path / "r.html"))
    page.locator(".gv-report-error").wait_for(timeout=5_000)
    assert "boom" in page.locator(".gv-report-error").inner_text()
    header = page.locator(".gv-report-header").inner_text()
    for text in ("1 of 1 gradients is missing", "train.py", "TensorFlow 2.21.0", "2026-01-02 03:04:05 UTC"):
        assert text in header
    assert [e for e in browser_log.page_errors if "boom" not in e] == []


# ------------------------------------------------------------------------------ the cut first
def report_of_snapshot(page: Any, name: str, tmp_path: Path) -> str:
    """Open the report of a golden document (what `gradviz run --json` wrote for tests/test_snapshots.py's
    program ``name``) at a laptop's size, and wait for its first drawing."""
    page.set_viewport_size({"width": 1400, "height": 900})
    doc = json.loads((SNAPSHOTS / f"{name}.json").read_text())
    url = open_report(page, save_report(doc, tmp_path / f"{name}.html"))
    page.wait_for_selector(GRAPH, state="attached", timeout=15_000)
    page.wait_for_function("document.querySelector('.gradviz-root').dataset.rendered >= '1'")
    page.wait_for_timeout(400)  # the camera's move
    return url


def on_screen(page: Any, selector: str) -> bool:
    """Whether the element is drawn inside the graph's visible area (not scrolled or zoomed away)."""
    canvas = page.locator(".gradviz-root svg[role=img]").first.bounding_box()
    box = page.locator(selector).first.bounding_box()
    if not canvas or not box:
        return False
    return (
        box["x"] >= canvas["x"] - 1 and box["y"] >= canvas["y"] - 1
        and box["x"] + box["width"] <= canvas["x"] + canvas["width"] + 1
        and box["y"] + box["height"] <= canvas["y"] + canvas["height"] + 1
    )  # fmt: skip


@pytest.mark.browser
def test_an_unused_head_is_a_dangling_branch_on_first_sight(
    page: Any, browser_log: Any, tmp_path: Path, artifacts_dir: Path
) -> None:
    url = report_of_snapshot(page, "resnet_unused_head", tmp_path)
    # one finding for the head's kernel and bias
    findings = page.locator(FINDING)
    assert findings.count() == 1
    assert "kernel, bias (layer aux_head)" in findings.first.inner_text()
    # without expanding anything: the head's ops greyed, ending in the output the code named
    end = ".gradviz-root .gv-node.gv-tensor.gv-dangling"
    assert page.locator(end).count() == 1
    text = page.locator(end).text_content() or ""  # SVG: text_content, not inner_text
    assert text.startswith("aux_logits") and "NOTHING USES IT" in text
    assert page.locator(".gradviz-root .gv-node.gv-op.gv-dangling").count() >= 2
    assert on_screen(page, end), "the end of the unused branch is not on screen"
    assert on_screen(page, ".gradviz-root .gv-node.gv-variable.gv-status-none")
    # the model's other layers stay closed boxes, the variables inside them
    assert page.locator(".gradviz-root .gv-node.gv-group").count() >= 8
    page.screenshot(path=str(artifacts_dir / "reading-unused-head.png"))
    assert_offline_and_clean(browser_log, url)


@pytest.mark.browser
def test_a_gan_cut_at_the_loss_is_drawn_first_with_the_loss_closed(
    page: Any, browser_log: Any, tmp_path: Path, artifacts_dir: Path
) -> None:
    url = report_of_snapshot(page, "gan_loss_after_tape", tmp_path)
    findings = page.locator(FINDING)
    assert findings.count() == 1
    assert "4 variables in 2 layers of generator: g1, g2" in findings.first.inner_text()
    # the loss function's internals are one closed box; the cut into it is one edge with a count
    loss = page.locator(".gradviz-root .gv-node.gv-group", has_text="binary_crossentropy")
    assert loss.count() == 1
    counted = page.locator(f"{BROKEN_EDGE} .gv-badge", has_text="outside_tape ×")
    assert counted.count() == 1
    assert on_screen(page, f"{BROKEN_EDGE} .gv-badge >> text=/outside_tape ×/")
    assert page.locator(".gradviz-root .gv-op", has_text="Neg").count() == 0  # nothing of the loss's insides
    page.screenshot(path=str(artifacts_dir / "reading-gan-cut.png"))
    assert_offline_and_clean(browser_log, url)
