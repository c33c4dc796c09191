"""gradviz's JupyterLab extension: installed with the package, and driven in a real JupyterLab.

The browser test starts its own JupyterLab (the ``jupyter_lab`` fixture of test_widget_jupyter.py),
opens a notebook whose one code cell has an ``outside_tape`` break and no magic typed, and uses the
extension as a person would: the cell toolbar's "Diagnose gradients" button, a click on the
finding, the "Gradients" side panel. Screenshots of each step go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from test_widget_jupyter import (  # the server fixture and what it needs, shared rather than copied
    NOTEBOOK_IDLE,
    JupyterLab,
    jupyter_lab,  # noqa: F401 (a fixture, used by name)
    serve,
    wait_in_cell,
)

PROJECT = pathlib.Path(__file__).resolve().parents[1]

# A plain cell (no %%gradtape): lines count as the cell shows them.
PLAIN_CELL = """\
import tensorflow as tf
x = tf.Variable(3.0, name="x")
with tf.GradientTape() as tape:
    y = x * x
z = y * 2
g = tape.gradient(z, x)
print("gradient:", g)"""
CULPRIT_CODE = "z = y * 2"
CULPRIT_LINE = PLAIN_CELL.splitlines().index(CULPRIT_CODE) + 1

DIAGNOSE_BUTTON = '.jp-cell-toolbar [data-command="gradviz:diagnose-cell"]'
WIDGET_FINDING = ".gradviz-root .gv-finding"
CULPRIT_HIGHLIGHT = ".cm-line.gv-culprit-line"
PANEL_FINDING = "#gradviz-gradients .gv-lab-finding"


# ------------------------------------------------------------------------------ installed


def _labextension_list() -> str:
    """``jupyter labextension list``'s report (it writes to stderr), colours off."""
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**{k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}, "NO_COLOR": "1"},
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_labextension_is_listed_and_enabled_after_install() -> None:
    listing = _labextension_list()
    found = re.search(r"^\s*gradviz v(\S+) (enabled|disabled)\s+(OK|X)?.*$", listing, re.MULTILINE)
    assert found, f"gradviz is not in `jupyter labextension list`:\n{listing[-2000:]}"
    import gradviz

    assert found.group(1) == gradviz.__version__
    assert found.group(2) == "enabled" and found.group(3) == "OK", found.group(0)
    assert "(python, gradviz)" in found.group(0), "not installed by the Python package"


def test_installed_labextension_is_the_built_one() -> None:
    """The installed copy (pip copies it) matches ``npm run build``'s; else the browser test runs stale code."""
    import jupyter_core.paths

    built = PROJECT / "gradviz" / "labextension" / "package.json"
    if not built.exists():
        pytest.skip("the front end is not built here (npm run build)")
    installed = [
        pathlib.Path(d) / "labextensions" / "gradviz" / "package.json" for d in jupyter_core.paths.jupyter_path()
    ]
    installed = [p for p in installed if p.exists()]
    assert installed, "gradviz's labextension is not installed: pip install -e ."
    load = json.loads(built.read_text())["jupyterlab"]["_build"]["load"]
    assert json.loads(installed[0].read_text())["jupyterlab"]["_build"]["load"] == load, (
        f"{installed[0].parent} is older than gradviz/labextension: run `pip install -e .` after `npm run build`"
    )


def test_murmur2_vectors_are_ipykernels() -> None:
    """js/test/lab.test.ts checks the TypeScript hash against these; here they are checked against ipykernel."""
    from ipykernel.compiler import get_file_name, get_tmp_hash_seed, murmur2_x86

    vectors = json.loads((PROJECT / "js" / "test" / "murmur2-ipykernel.json").read_text())
    assert vectors["seed"] == get_tmp_hash_seed()
    for text, expected in vectors["vectors"]:
        assert murmur2_x86(text, get_tmp_hash_seed()) == expected, text
    # ...and the hash is what names a cell's file.
    assert pathlib.Path(get_file_name(PLAIN_CELL)).name == f"{murmur2_x86(PLAIN_CELL, get_tmp_hash_seed())}.py"


# ------------------------------------------------------------------------------ JupyterLab


def _write_notebook(path: pathlib.Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(PLAIN_CELL), nbformat.v4.new_markdown_cell("The end.")]
    nbformat.write(nb, str(path))


def _open_notebook(lab: JupyterLab, page: Any, name: str) -> None:
    _write_notebook(lab.notebooks / name)
    page.set_default_timeout(60_000)
    page.set_viewport_size({"width": 1600, "height": 1100})
    workspace = pathlib.PurePath(name).stem  # a workspace of its own (see test_widget_jupyter.py)
    page.goto(lab.url(f"/lab/workspaces/{workspace}/tree/{name}"))
    page.wait_for_function(NOTEBOOK_IDLE, timeout=90_000)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' })")


def _cell_source(page: Any, index: int) -> str:
    return page.evaluate(
        "(i) => window.jupyterapp.shell.currentWidget.content.model.cells.get(i).sharedModel.getSource()", index
    )


@pytest.mark.browser
@pytest.mark.jupyter
@pytest.mark.slow
def test_diagnose_button_jump_and_side_panel(
    jupyter_lab: JupyterLab,  # noqa: F811
    page: Any,
    browser_log: Any,
    artifacts_dir: pathlib.Path,
) -> None:
    _open_notebook(jupyter_lab, page, "lab-extension.ipynb")
    registered = page.evaluate(
        """() => {
            const app = window.jupyterapp;
            const id = "gradviz:diagnose-cell";
            return {
                command: app.commands.hasCommand(id),
                palette: app.commands.label(id) === "Diagnose gradients",
                shortcut: app.commands.keyBindings.some((b) => b.command === id),
            };
        }"""
    )
    assert registered == {"command": True, "palette": True, "shortcut": True}
    cell = page.locator(".jp-Notebook .jp-Cell").nth(0)
    cell.locator(".jp-InputArea-editor").click(button="right")
    page.locator(".lm-Menu .lm-Menu-item").filter(has_text="Diagnose gradients").wait_for(timeout=10_000)
    page.keyboard.press("Escape")

    cell.locator(".jp-InputArea-editor").click()
    try:
        cell.locator(DIAGNOSE_BUTTON).click()
        wait_in_cell(page, cell, WIDGET_FINDING, "no finding appeared")
    finally:
        page.screenshot(path=str(artifacts_dir / "jupyterlab-lab-button.png"))

    # The output is %%gradtape's, its lines counted as the cell shows them; the source is untouched.
    output = cell.locator(".jp-OutputArea")
    assert "gradient: None" in output.inner_text()
    finding = output.locator(WIDGET_FINDING).first
    text = finding.inner_text()
    assert "outside_tape" in text and CULPRIT_CODE in text, text
    assert re.search(rf"cell \[\d+\]:{CULPRIT_LINE}\b", text), f"culprit line {CULPRIT_LINE} not in {text!r}"
    assert _cell_source(page, 0) == PLAIN_CELL

    # A click on the finding highlights the culprit line in the cell's editor.
    finding.click()
    highlight = cell.locator(CULPRIT_HIGHLIGHT)
    try:
        highlight.wait_for(timeout=15_000)
    except Exception:
        pytest.fail(f"no culprit line highlighted; the console said: {browser_log.console_problems()}")
    assert highlight.count() == 1 and highlight.inner_text().strip() == CULPRIT_CODE
    page.screenshot(path=str(artifacts_dir / "jupyterlab-lab-jump.png"))

    # The side panel lists the finding; its card jumps to the same line.
    page.evaluate("() => window.jupyterapp.shell.activateById('gradviz-gradients')")
    card = page.locator(PANEL_FINDING).first
    card.wait_for(timeout=15_000)
    card_text = card.inner_text()
    assert "outside_tape" in card_text and CULPRIT_CODE in card_text, card_text
    assert re.search(rf"cell \[\d+\]:{CULPRIT_LINE}\b", card_text), card_text
    # The next edit clears the highlight; the panel's card brings it back.
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" ")
    highlight.wait_for(state="detached", timeout=10_000)
    card.click()
    highlight.wait_for(timeout=15_000)
    assert highlight.inner_text().strip() == CULPRIT_CODE
    page.screenshot(path=str(artifacts_dir / "jupyterlab-lab-panel.png"))
    assert browser_log.page_errors == []


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """Notebook 7 (the `notebook` package), which loads the same prebuilt extension."""
    pytest.importorskip("notebook", reason="Notebook 7 is not installed (pip install notebook)")
    yield from serve(tmp_path_factory, "notebook")


@pytest.mark.browser
@pytest.mark.jupyter
@pytest.mark.slow
def test_notebook7_has_the_button_and_the_jump(notebook7: JupyterLab, page: Any, artifacts_dir: pathlib.Path) -> None:
    _write_notebook(notebook7.notebooks / "nb7.ipynb")
    page.set_default_timeout(60_000)
    page.set_viewport_size({"width": 1600, "height": 1100})
    page.goto(notebook7.url("/notebooks/nb7.ipynb"))
    page.wait_for_function(NOTEBOOK_IDLE, timeout=90_000)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(0)
    cell.locator(".jp-InputArea-editor").click()
    try:
        cell.locator(DIAGNOSE_BUTTON).click()
        wait_in_cell(page, cell, WIDGET_FINDING, "no finding appeared")
        finding = cell.locator(".jp-OutputArea").locator(WIDGET_FINDING).first
        assert "outside_tape" in finding.inner_text()
        finding.click()
        cell.locator(CULPRIT_HIGHLIGHT).wait_for(timeout=15_000)
        assert cell.locator(CULPRIT_HIGHLIGHT).inner_text().strip() == CULPRIT_CODE
    finally:
        page.screenshot(path=str(artifacts_dir / "notebook7-button.png"))
