"""How gradviz installs: without TensorFlow in its base dependencies, and from an sdist without Node.

TensorFlow is the ``tf`` extra, not a dependency, so that ``pip install gradviz`` never adds a second
TensorFlow next to a user's ``tensorflow-cpu``, ``tf-nightly`` or ``tensorflow-macos``. Without one,
``import gradviz`` works, and every entry point says so in one sentence before anything runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import gradviz

ROOT = Path(__file__).resolve().parent.parent
# Run first in each child: TensorFlow is then as absent as if it were not installed
# (``import tensorflow`` raises ModuleNotFoundError, as it does in a Python without it).
NO_TENSORFLOW = "import sys; sys.modules['tensorflow'] = None\n"
SENTENCE = "no TensorFlow can be imported by "
HOW = 'pip install "gradviz[tf]"'


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text("print('the script ran')\nimport tensorflow as tf\n")
    return path


def _one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    (line,) = lines
    assert SENTENCE in line and HOW in line and line.endswith("."), line
    assert "Traceback" not in stderr
    return line


def test_tensorflow_is_an_extra_not_a_dependency() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[\s;\[<>=!~]", d, maxsplit=1)[0] for d in project["dependencies"]]
    assert not {"tensorflow", "keras", "tf-keras"} & set(names), project["dependencies"]
    assert any(d.startswith("tensorflow>=") for d in project["optional-dependencies"]["tf"])
    # the test extra brings TensorFlow too, so `pip install -e ".[test]"` is enough to run the tests
    assert any(d.startswith("gradviz[tf]") for d in project["optional-dependencies"]["test"])


def test_gradviz_imports_without_tensorflow(tmp_path: Path) -> None:
    done = _python("import gradviz, gradviz.cli, gradviz.magic; print(gradviz.__version__)", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == gradviz.__version__


def test_run_without_tensorflow_says_so_in_one_sentence(script: Path) -> None:
    done = _python(f"from gradviz.cli import main; sys.exit(main(['run', {str(script)!r}]))", script.parent)
    assert done.returncode == 1
    assert "the script ran" not in done.stdout  # nothing ran
    line = _one_sentence(done.stderr)
    assert line.startswith("gradviz: no TensorFlow can be imported by ")


def test_demo_without_tensorflow_says_so_in_one_sentence(tmp_path: Path) -> None:
    done = _python("from gradviz.cli import main; sys.exit(main(['demo']))", tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    _one_sentence(done.stderr)


def test_a_tensorflow_that_fails_to_import_is_named_with_its_error(tmp_path: Path, script: Path) -> None:
    broken = tmp_path / "site" / "tensorflow"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('libcudart.so.12: cannot open shared object file')\n")
    code = f"sys.modules.pop('tensorflow'); sys.path.insert(0, {str(broken.parent)!r})\n"
    code += f"from gradviz.cli import main; sys.exit(main(['run', {str(script)!r}]))"
    done = _python(code, tmp_path)
    assert done.returncode == 1
    assert "the script ran" not in done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        "gradviz: TensorFlow is installed but cannot be imported (ImportError: libcudart.so.12: cannot open"
        " shared object file), so there is nothing to capture."
    )


def test_capture_without_tensorflow_raises_one_clear_error(tmp_path: Path) -> None:
    done = _python(
        """
        import gradviz
        from gradviz.errors import TensorFlowMissingError
        try:
            with gradviz.capture():
                print('the block ran')
        except TensorFlowMissingError as e:
            assert isinstance(e, gradviz.GradvizError) and isinstance(e, ImportError)
            print(e, file=sys.stderr)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "the block ran" not in done.stdout
    _one_sentence(done.stderr)


def test_cell_magic_without_tensorflow_is_a_usage_error(tmp_path: Path) -> None:
    done = _python(
        """
        from IPython.core.error import UsageError
        from IPython.testing.globalipapp import get_ipython
        ip = get_ipython()
        ip.run_line_magic("load_ext", "gradviz")
        try:
            ip.run_cell_magic("gradtape", "--no-widget", "print('the cell ran')")
        except UsageError as e:
            print(e, file=sys.stderr)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "the cell ran" not in done.stdout
    assert _one_sentence(done.stderr).startswith("%%gradtape: no TensorFlow can be imported by ")


# ------------------------------------------------------------------ the sdist
@pytest.mark.slow
def test_the_sdist_ships_the_built_front_end_and_builds_a_wheel_without_node(tmp_path: Path) -> None:
    bundles = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "gradviz" / "static").glob("*.js"))
    if not bundles:
        pytest.fail("gradviz/static/*.js is not built: run `npm run build` (scripts/test.sh does) first")
    labextension = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "gradviz" / "labextension").rglob("*") if p.is_file()
    )
    # `python -m build` makes the sdist, then the wheel from that sdist; without isolation nothing is
    # downloaded, and with only the venv on PATH there is no npm: the wheel must come from the sdist alone.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = tmp_path.glob("gradviz-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert set(bundles) <= names, f"the sdist lacks {sorted(set(bundles) - names)}"
    assert set(labextension) <= names, f"the sdist lacks {sorted(set(labextension) - names)[:5]}"
    assert not any(n.startswith((".venv", "node_modules/")) for n in names)
    (wheel,) = tmp_path.glob("gradviz-*.whl")
    with zipfile.ZipFile(wheel) as whl:
        assert set(bundles) <= set(whl.namelist())
