"""The widget stage: GraphWidget in plain Python, and end to end in a real JupyterLab.

The JupyterLab test starts its own server (127.0.0.1, a free port, a known token, throwaway
config/runtime/IPython dirs), opens a notebook that runs ``%%gradtape`` on an ``outside_tape``
break, and drives it with Playwright and Debian Chromium. It takes 20-60 s.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

import gradviz.report
import gradviz.widget
from gradviz.errors import BundleMissingError, GradvizError
from gradviz.widget import GraphWidget

PROJECT = pathlib.Path(__file__).resolve().parents[1]

# What the renderer puts on the page (see js/src); the same as in test_report.py.
GRAPH = ".gradviz-root .gv-node"
BROKEN_EDGE = ".gradviz-root .gv-edge.gv-broken"
FINDING = ".gradviz-root .gv-finding"
DETAILS = ".gradviz-root .gv-details"
VARIABLE = ".gradviz-root .gv-node.gv-variable"

# The %%gradtape cell. Line numbers count the cell as shown, the "%%gradtape" line being line 1.
GRADTAPE_CELL_BODY = """\
import tensorflow as tf
x = tf.Variable(3.0, name="x")
with tf.GradientTape() as tape:
    y = x * x
z = y * 2
g = tape.gradient(z, x)
print("gradient:", g)
"""
CULPRIT_LINE = GRADTAPE_CELL_BODY.splitlines().index("z = y * 2") + 2
SELECTION_PROBE = 'from gradviz.magic import last_widget\nprint("selected_node=" + last_widget().selected_node)'

SERVER_START_TIMEOUT_S = 90
KERNEL_WORK_TIMEOUT_MS = 180_000


# ------------------------------------------------------------------------------ plain Python


@pytest.fixture
def fake_widget_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gradviz.widget, "read_bundle", lambda name: "export default {}")


def test_repr_names_the_missing_gradient_and_its_line(fake_widget_bundle: None, documents: Any) -> None:
    widget = GraphWidget(documents.outside_tape_document())
    assert repr(widget) == "<GraphWidget: 1 gradient call, 1 missing gradient (outside_tape at train.py:5)>"
    data, _ = widget._repr_mimebundle_()
    assert data["text/plain"] == repr(widget)
    import IPython.lib.pretty

    assert IPython.lib.pretty.pretty(widget) == repr(widget)


def test_repr_of_a_clean_run_says_all_connected(fake_widget_bundle: None, documents: Any) -> None:
    doc = documents.outside_tape_document()
    doc["gradient_calls"][0]["sources"][0].update(status="ok", cause=None, broken_edges=[])
    assert repr(GraphWidget(doc)) == "<GraphWidget: 1 gradient call, all connected>"


def test_export_message_is_answered_with_the_report(
    fake_widget_bundle: None, documents: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gradviz.report, "read_bundle", lambda name: "globalThis.gradviz={};")
    widget = GraphWidget(documents.outside_tape_document())
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    widget._handle_custom_msg({"type": "export_html"}, [])
    assert len(sent) == 1
    assert sent[0]["type"] == "export_html"
    assert sent[0]["filename"] == "gradviz-train.html"
    assert sent[0]["html"] == widget.to_html()
    widget.export_enabled = False
    widget._handle_custom_msg({"type": "export_html"}, [])
    assert len(sent) == 1


def test_widget_without_a_built_bundle_says_how_to_build_it(documents: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise BundleMissingError(f"gradviz/static/{name} is missing: run `npm run build`")

    monkeypatch.setattr(gradviz.widget, "read_bundle", missing)
    with pytest.raises(BundleMissingError, match="npm run build"):
        GraphWidget(documents.outside_tape_document())


def test_widget_refuses_a_document_of_another_schema_version(fake_widget_bundle: None) -> None:
    with pytest.raises(GradvizError, match="schema_version"):
        GraphWidget({"schema_version": 99})


# ------------------------------------------------------------------------------ JupyterLab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_notebook(path: pathlib.Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext gradviz"),
        nbformat.v4.new_code_cell("%%gradtape\n" + GRADTAPE_CELL_BODY.rstrip("\n")),
        nbformat.v4.new_code_cell(SELECTION_PROBE),
    ]
    nbformat.write(nb, str(path))


class JupyterLab:
    def __init__(self, base: str, token: str, notebooks: pathlib.Path, log: pathlib.Path) -> None:
        self.base, self.token, self.notebooks, self.log = base, token, notebooks, log

    def url(self, path: str) -> str:
        return f"{self.base}{path}?token={self.token}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _stop_server(proc: subprocess.Popen[bytes], lab: JupyterLab, runtime: pathlib.Path) -> None:
    """Shut kernels and server down, politely first; then kill what is left of what we started."""
    import requests

    try:
        kernels = requests.get(lab.url("/api/kernels"), timeout=5).json()
        for kernel in kernels:
            requests.delete(lab.url(f"/api/kernels/{kernel['id']}"), timeout=10)
    except Exception:  # the server may already be gone; the kill below still runs
        pass
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Kernels run in sessions of their own; ours are the ones started with our runtime dir.
    marker = str(runtime).encode()
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    yield from serve(tmp_path_factory, "jupyterlab")


def serve(tmp_path_factory: pytest.TempPathFactory, app: str) -> Iterator[JupyterLab]:
    """Start a Jupyter server of its own (``app``: "jupyterlab", or "notebook" for Notebook 7) on a free
    port with a known token and private config, runtime and data dirs; yield it once ready; stop it
    and its kernels."""
    import requests

    root = tmp_path_factory.mktemp(app)
    dirs = {name: root / name for name in ("config", "runtime", "data", "ipython", "notebooks")}
    for path in dirs.values():
        path.mkdir()
    (dirs["config"] / "labconfig").mkdir()
    (dirs["config"] / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    token, port = secrets.token_hex(16), _free_port()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        IPYTHONDIR=str(dirs["ipython"]),
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    env.pop("ANYWIDGET_HMR", None)
    cmd = [
        sys.executable, "-m", app,
        "--allow-root", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={dirs['notebooks']}",
        "--ServerApp.terminals_enabled=False",
        f"--{'LabApp' if app == 'jupyterlab' else 'JupyterNotebookApp'}.expose_app_in_browser=True",
    ]  # fmt: skip
    log = root / f"{app}.log"
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, dirs["notebooks"], log)
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            cmd, env=env, cwd=dirs["notebooks"], stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{lab.log_tail()}")
            try:
                if requests.get(lab.url("/api/status"), timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab not ready after {SERVER_START_TIMEOUT_S} s:\n{lab.log_tail()}")
            time.sleep(0.5)
        yield lab
    finally:
        _stop_server(proc, lab, dirs["runtime"])


def _run_cell(page: Any, index: int) -> None:
    page.evaluate(
        """async (index) => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = index;
            await window.jupyterapp.commands.execute("notebook:run-cell");
        }""",
        index,
    )


# True once the notebook's kernel is up and idle with no cell queued or running ("[*]:").
NOTEBOOK_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const session = panel && panel.sessionContext && panel.sessionContext.session;
    const kernel = session && session.kernel;
    const running = panel && [...panel.node.querySelectorAll(".jp-InputPrompt")].some((p) => p.textContent.includes("*"));
    return Boolean(kernel) && kernel.status === "idle" && !running;
}"""


def wait_in_cell(page: Any, cell: Any, selector: str, missing: str) -> None:
    """Wait for ``selector`` in ``cell``; fail early, saying ``missing`` and the notebook's outputs, once the
    kernel has idled for 20 s without it (or the time is up)."""
    deadline = time.monotonic() + KERNEL_WORK_TIMEOUT_MS / 1000
    idle_since = None
    while not cell.locator(selector).count():
        now = time.monotonic()
        idle_since = (idle_since or now) if page.evaluate(NOTEBOOK_IDLE) else None
        if now > deadline or (idle_since is not None and now - idle_since > 20):
            outputs = "\n---\n".join(page.locator(".jp-OutputArea").all_inner_texts())
            pytest.fail(f"{missing}; the notebook's outputs:\n{outputs}")
        time.sleep(0.5)


def _run_gradtape_notebook(
    lab: JupyterLab, page: Any, screenshot: pathlib.Path, name: str = "gradtape.ipynb", theme: str = "JupyterLab Light"
) -> Any:
    """Open a fresh %%gradtape notebook in ``theme``, run it, wait for the widget; return its cell.

    The screenshot is taken whether or not the widget appears, so a failure leaves a picture of why.
    """
    _write_notebook(lab.notebooks / name)
    page.set_default_timeout(60_000)
    page.set_viewport_size({"width": 1600, "height": 1100})
    # A workspace of its own: the server keeps each workspace's layout, and a notebook another test
    # left open would otherwise come back, take the focus and share the page's ".jp-Cell"s.
    workspace = pathlib.PurePath(name).stem
    page.goto(lab.url(f"/lab/workspaces/{workspace}/tree/{name}"))
    page.wait_for_function(NOTEBOOK_IDLE, timeout=90_000)
    open_notebooks = page.evaluate(
        "() => [...window.jupyterapp.shell.widgets('main')].map((w) => w.context && w.context.path)"
    )
    assert open_notebooks == [name], f"expected only {name} open, found {open_notebooks}"
    # Set every time: the theme is a user setting the server keeps, so one test's choice outlives it.
    page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })", theme)
    page.wait_for_function("(theme) => document.body.dataset.jpThemeName === theme", arg=theme)
    page.evaluate(
        """async () => {
            const app = window.jupyterapp;
            if (app.shell.leftCollapsed === false) await app.commands.execute("application:toggle-left-area");
            void app.commands.execute("notebook:run-all-cells");  // resolves only when all ran
        }"""
    )
    cell = page.locator(".jp-Cell").nth(1)
    try:
        wait_in_cell(page, cell, BROKEN_EDGE, "the %%gradtape cell drew no broken edge")
    finally:
        page.screenshot(path=str(screenshot))
    return cell


@pytest.mark.browser
@pytest.mark.jupyter
@pytest.mark.slow
def test_gradtape_widget_in_jupyterlab(
    jupyter_lab: JupyterLab, page: Any, browser_log: Any, artifacts_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    cell = _run_gradtape_notebook(jupyter_lab, page, artifacts_dir / "jupyterlab-widget.png")
    output = cell.locator(".jp-OutputArea")
    # The cell still prints what TensorFlow returned: the magic explains, it does not change.
    assert "gradient: None" in output.inner_text()

    finding = output.locator(FINDING).first.inner_text()
    assert "outside_tape" in finding and "z = y * 2" in finding
    assert re.search(rf":{CULPRIT_LINE}\b", finding), f"culprit line {CULPRIT_LINE} not in {finding!r}"

    output.locator(VARIABLE).filter(has_text="x").first.click()
    details = output.locator(DETAILS).filter(has_text="Selected variable")
    details.wait_for()
    found = re.search(r"\bv:\d+\b", details.inner_text())
    assert found, "the details panel does not show the variable's node id"
    node_id = found.group()

    # The click reached the kernel: the widget's selected_node trait is that node.
    _run_cell(page, 2)
    probe = page.locator(".jp-Cell").nth(2).locator(".jp-OutputArea")
    probe.get_by_text(f"selected_node={node_id}").wait_for(timeout=30_000)

    output.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "jupyterlab-widget.png"))

    # "Export HTML" asks the kernel for the report and downloads it; the file draws offline.
    with page.expect_download(timeout=60_000) as download_info:
        output.get_by_role("button", name="Export HTML").click()
    download = download_info.value
    assert re.fullmatch(r"gradviz-[\w.-]+\.html", download.suggested_filename)
    exported = tmp_path / download.suggested_filename
    download.save_as(exported)
    report_page = page.context.new_page()
    report_page.goto(exported.resolve().as_uri())
    report_page.locator(BROKEN_EDGE).first.wait_for(state="attached", timeout=15_000)
    assert "z = y * 2" in report_page.locator(FINDING).first.inner_text()
    assert browser_log.page_errors == []


def _rgb(css: str) -> tuple[float, float, float]:
    """``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` as computed by the browser, to 0-255 floats (alpha dropped)."""
    found = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*[\d.]+)?\)", css.strip())
    assert found, f"not an rgb() colour: {css!r}"
    r, g, b = (float(v) for v in found.groups())
    return r, g, b


def _luminance(css: str) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(css))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# Computed colours of the parts of the widget that must stay readable whatever the theme.
WIDGET_COLOURS = """(root) => {
    const css = (el, prop) => el ? getComputedStyle(el)[prop] : null;
    const q = (sel) => root.querySelector(sel);
    return {
        themeLight: document.body.dataset.jpThemeLight,
        rootBackground: css(root, "backgroundColor"),
        rootColor: css(root, "color"),
        variableLabel: css(q(".gv-node.gv-variable text"), "fill"),
        opLabel: css(q(".gv-node.gv-op:not(.gv-unrecorded):not(.gv-paused) text"), "fill"),
        brokenEdge: css(q(".gv-edge.gv-broken path.gv-line"), "stroke"),
        findingBackground: css(q(".gv-finding"), "backgroundColor"),
        findingExpl: css(q(".gv-finding .gv-expl"), "color"),
        headerBackground: css(q(".gv-header"), "backgroundColor"),
        program: css(q(".gv-program"), "color"),
    };
}"""


@pytest.mark.browser
@pytest.mark.jupyter
@pytest.mark.slow
def test_gradtape_widget_in_jupyterlab_dark_theme(
    jupyter_lab: JupyterLab, page: Any, browser_log: Any, artifacts_dir: pathlib.Path
) -> None:
    shot = artifacts_dir / "jupyterlab-widget-dark.png"
    cell = _run_gradtape_notebook(jupyter_lab, page, shot, name="gradtape-dark.ipynb", theme="JupyterLab Dark")
    output = cell.locator(".jp-OutputArea")
    output.locator(FINDING).first.wait_for()
    output.scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    colours = output.locator(".gradviz-root").first.evaluate(WIDGET_COLOURS)
    print("dark theme colours:", json.dumps(colours, indent=1))
    missing = [name for name, value in colours.items() if value is None]
    assert not missing, f"not on the page: {missing}"
    assert colours["themeLight"] == "false"

    background = colours["rootBackground"]
    assert _luminance(background) < 0.05, f"the widget is not dark in a dark Lab: background {background}"
    for part in ("rootColor", "variableLabel", "opLabel", "findingExpl"):
        assert _luminance(colours[part]) > 0.4, f"{part} is not light in the dark theme: {colours[part]}"
        assert _contrast(colours[part], background) >= 4.5, f"{part} {colours[part]} unreadable on {background}"
    assert _contrast(colours["program"], colours["headerBackground"]) >= 4.5
    assert _contrast(colours["findingExpl"], colours["findingBackground"]) >= 4.5

    r, g, b = _rgb(colours["brokenEdge"])
    assert r > 180 and g < 120 and b < 120, f"the broken edge is not red in the dark theme: {colours['brokenEdge']}"
    assert _contrast(colours["brokenEdge"], background) >= 3, (
        "the broken edge does not stand out of the dark background"
    )
    assert browser_log.page_errors == []
