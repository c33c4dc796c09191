"""The public corpus: every script in ``tests/cases/`` states the diagnosis it expects.

Each case is a small, realistic TensorFlow script with comment lines such as::

    # gradviz-expect: w status=none cause=outside_tape line=12 call=14
    # gradviz-expect: name=net/aux_head/kernel status=none cause=unused_variable line=17
    # gradviz-expect: model.trainable_variables[4] status=none cause=unused_variable mentions=aux_pred
    # gradviz-expect: all-ok
    # gradviz-expect-exit: nonzero

A source is named by its expression in the ``tape.gradient(...)`` call or by ``name=`` (a Keras
weight path). ``status``, ``cause``, ``line`` (the culprit line) and ``call`` (the gradient call's
line) are compared with the finding; ``mentions=<word>`` requires the finding's ``explanation`` to
contain that word as a whole word, written as the user's code writes it (``mentions=aux_logits``):
the word must occur in the script outside its comments, and only a ``none`` or ``zero`` expectation
can carry it.

Every case that is not ``clean_*`` has a fixed twin, ``tests/cases/fixed/<same name>.py``: the same
script with the bug fixed as a careful engineer would fix it (and as gradviz's advice says), whose
first line is ``# Fixed twin of ../<name>.py: <what was changed>`` and whose only expectation is
``# gradviz-expect: all-ok``. Twins run through every per-script test (ids ``fixed/<name>``): they
show the fix works under plain TensorFlow and that gradviz raises no false alarm on fixed code. They
do not count as coverage of a cause.

``test_case`` runs ``python -m gradviz run <script> --json <file>`` and checks the document against
those lines (see ``shared/CAUSES.md`` for which line is the culprit). ``test_ground_truth`` runs the
same script under plain TensorFlow, recording what ``GradientTape.gradient`` really returned, so the
corpus itself stays honest when TensorFlow changes; gradviz is not imported there
(``python tests/corpus_runner.py --truth <script> <out.json>`` records).

Each run gets a process of its own: by default a child forked from a per-pytest-process server
that has imported only TensorFlow, Keras and numpy (importing them is most of a run's cost), else a
fresh interpreter. ``tests/corpus_runner.py`` says what a child does to be a fresh process and when
a run falls back to a fresh interpreter (a warning says so); ``GRADVIZ_CORPUS_FORK=0`` turns the
server off. With pytest-xdist (``-n 2``) each worker has its own server.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import sys
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = Path(__file__).resolve().parent / "cases"
FIXED_DIR = CASES_DIR / "fixed"
TOP_CASE_FILES = sorted(CASES_DIR.glob("*.py"))  # the cases proper: these cover the causes
TWIN_FILES = sorted(FIXED_DIR.glob("*.py"))  # their fixed twins
CASE_FILES = TOP_CASE_FILES + TWIN_FILES
TIMEOUT_S = 180
STATUSES = ("ok", "none", "zero")

pytestmark = pytest.mark.corpus

_EXPECT = re.compile(r"^\s*#\s*gradviz-expect:\s*(.+?)\s*$")
_EXPECT_EXIT = re.compile(r"^\s*#\s*gradviz-expect-exit:\s*(\S+)\s*$")
_TWIN_HEADER = re.compile(r"^# Fixed twin of \.\./(?P<name>[^\s:/]+\.py): (?P<what>\S.*)$")
_KEYS = ("status", "cause", "line", "call", "mentions")


def _causes() -> tuple[str, ...]:
    sys.path.insert(0, str(ROOT))
    try:
        from gradviz.schema import CAUSES
    finally:
        sys.path.remove(str(ROOT))
    return CAUSES


CAUSES = _causes()


def _load_runner() -> ModuleType:
    """``tests/corpus_runner.py``, loaded by path so it works under any pytest import mode."""
    name = "gradviz_corpus_runner"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "corpus_runner.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


corpus_runner = _load_runner()


class CorpusFallbackWarning(UserWarning):
    """A corpus run did not run in a fork-server child, and ran in a fresh interpreter instead."""


@dataclass
class Expectation:
    text: str  # the comment as written, for messages
    lineno: int  # where the comment is
    expr: str | None = None
    name: str | None = None
    status: str | None = None
    cause: str | None = None
    line: int | None = None
    call: int | None = None
    mentions: str | None = None  # a word the finding's explanation must contain

    def describe(self) -> str:
        return f"line {self.lineno}: `# gradviz-expect: {self.text}`"


@dataclass
class Case:
    path: Path
    expectations: list[Expectation] = field(default_factory=list)
    all_ok: bool = False
    exit_nonzero: bool = False
    print_labels: list[str] = field(default_factory=list)

    @property
    def causes(self) -> set[str]:
        return {e.cause for e in self.expectations if e.cause}


def _normalize_expr(expr: str) -> str:
    """``params['w']`` and ``params["w"]`` are the same source as written."""
    try:
        return ast.unparse(ast.parse(expr.strip(), mode="eval"))
    except SyntaxError:
        return expr.strip()


def parse_case(path: Path) -> Case:
    """Read a case's expectation comments; raise ValueError naming the bad line."""
    text = path.read_text()
    case = Case(path)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if m := _EXPECT_EXIT.match(raw):
            if m.group(1) != "nonzero":
                raise ValueError(f"{path.name}:{lineno}: only `gradviz-expect-exit: nonzero` is known")
            case.exit_nonzero = True
            continue
        m = _EXPECT.match(raw)
        if not m:
            continue
        body = m.group(1)
        if body == "all-ok":
            case.all_ok = True
            continue
        head, *pairs = body.split()
        exp = Expectation(text=body, lineno=lineno)
        if head.startswith("name="):
            exp.name = head.removeprefix("name=")
        else:
            exp.expr = _normalize_expr(head)
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key not in _KEYS or not value:
                raise ValueError(f"{path.name}:{lineno}: cannot read {pair!r} in {body!r}")
            if getattr(exp, key) is not None:
                raise ValueError(f"{path.name}:{lineno}: {key}= given twice in {body!r}")
            if key in ("line", "call") and not value.isdigit():
                raise ValueError(f"{path.name}:{lineno}: {key}= must be a line number: {pair!r}")
            setattr(exp, key, int(value) if key in ("line", "call") else value)
        if exp.status not in STATUSES:
            raise ValueError(f"{path.name}:{lineno}: status must be one of {STATUSES}: {body!r}")
        if exp.cause is not None and exp.cause not in CAUSES:
            raise ValueError(f"{path.name}:{lineno}: unknown cause {exp.cause!r} (see gradviz.schema.CAUSES)")
        if exp.status == "none" and exp.cause is None:
            raise ValueError(f"{path.name}:{lineno}: a `none` expectation must name its cause")
        if exp.mentions is not None:
            if exp.status == "ok":
                raise ValueError(f"{path.name}:{lineno}: `mentions=` needs a `none` or `zero` finding: {body!r}")
            if not _mentions(_code_without_comments(text), exp.mentions):
                raise ValueError(
                    f"{path.name}:{lineno}: mentions={exp.mentions} does not occur in the script's code "
                    "(it must be written as the user's code writes it)"
                )
        case.expectations.append(exp)
    if case.all_ok and case.expectations:
        raise ValueError(f"{path.name}: `all-ok` cannot be combined with per-source expectations")
    if not case.all_ok and not case.expectations:
        raise ValueError(f"{path.name}: no `# gradviz-expect:` line")
    case.print_labels = _print_labels(ast.parse(text))
    return case


def _mentions(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` as a whole word (``aux_logits`` is not found in ``aux_logits2``)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def _code_without_comments(text: str) -> str:
    """The script with its comments dropped (each token on its own, so string contents stay)."""
    lines = iter(text.splitlines(keepends=True))
    tokens = tokenize.generate_tokens(lambda: next(lines, ""))
    return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)


def _print_labels(tree: ast.AST) -> list[str]:
    """The leading string literal of every ``print(...)``: what the script's stdout must show."""
    labels = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            labels.append(node.args[0].value)
    return labels


def _case_id(path: Path) -> str:
    """``<name>`` for a case, ``fixed/<name>`` for its twin."""
    return path.relative_to(CASES_DIR).with_suffix("").as_posix()


def _env() -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """This pytest process's way to run scripts: a fork server started with the tests' environment."""
    fork = os.environ.get("GRADVIZ_CORPUS_FORK", "1") != "0"
    r = corpus_runner.Runner(
        env=_env(), cwd=ROOT, workdir=tmp_path_factory.mktemp("forkserver"), timeout=TIMEOUT_S, fork=fork
    )
    try:
        yield r
    finally:
        r.close()


def _run(runner, kind: str, args: list[str], tmp_path: Path):
    result = runner.run(kind, args, env=_env(), outdir=tmp_path)
    if result.note:
        warnings.warn(CorpusFallbackWarning(result.note), stacklevel=2)
    return result


def _same_file(reported: str | None, script: Path) -> bool:
    if not reported:
        return False
    p = Path(reported)
    if not p.is_absolute():
        p = ROOT / p
    return p.exists() and p.resolve() == script.resolve()


def _names_match(reported: str | None, expected: str) -> bool:
    """Keras paths: exact, or one a ``/``-suffix of the other (``net/head/kernel`` ~ ``head/kernel``)."""
    if not reported:
        return False
    reported = reported.removesuffix(":0")
    if reported == expected:
        return True
    short, long = sorted((reported, expected), key=len)
    return "/" in short and long.endswith("/" + short)


def _source_matches(exp: Expectation, call_line: int | None, src: dict) -> bool:
    if exp.call is not None and call_line != exp.call:
        return False
    if exp.name is not None:
        return _names_match(src.get("name"), exp.name)
    return src.get("expr") is not None and _normalize_expr(src["expr"]) == exp.expr


def _describe_source(call: dict, src: dict) -> str:
    return (
        f"call line {call.get('line')} `{(call.get('code') or '').strip()}` "
        f"source expr={src.get('expr')!r} name={src.get('name')!r}: status={src.get('status')!r} "
        f"cause={src.get('cause')!r} culprit={src.get('culprit_file')}:{src.get('culprit_line')} "
        f"`{(src.get('culprit_code') or '').strip()}`; explanation: {src.get('explanation')!r}"
    )


def _all_sources(doc: dict) -> list[tuple[dict, dict]]:
    return [(c, s) for c in doc.get("gradient_calls") or [] for s in c.get("sources") or []]


def _mismatch(exp: Expectation, case: Case, src: dict) -> list[str]:
    wrong = []
    if src.get("status") != exp.status:
        wrong.append(f"status {src.get('status')!r} != {exp.status!r}")
    if exp.cause is not None and src.get("cause") != exp.cause:
        wrong.append(f"cause {src.get('cause')!r} != {exp.cause!r}")
    if exp.status == "ok" and src.get("cause") is not None:
        wrong.append(f"cause {src.get('cause')!r} on a connected source")
    if exp.mentions is not None and not _mentions(src.get("explanation") or "", exp.mentions):
        wrong.append(f"the explanation does not mention {exp.mentions!r}")
    if exp.line is not None:
        if src.get("culprit_line") != exp.line:
            wrong.append(f"culprit_line {src.get('culprit_line')!r} != {exp.line}")
        if not _same_file(src.get("culprit_file"), case.path):
            wrong.append(f"culprit_file {src.get('culprit_file')!r} is not {case.path}")
    return wrong


def check_document(case: Case, doc: dict) -> list[str]:
    """Every way the document disagrees with the case's expectations, as developer-facing sentences."""
    problems: list[str] = []
    pairs = _all_sources(doc)
    if not pairs:
        problems.append("the document has no gradient calls with sources")
    if case.all_ok:
        for call, src in pairs:
            if src.get("status") != "ok" or src.get("cause") is not None:
                problems.append(f"`all-ok` but a false alarm: {_describe_source(call, src)}")
    covered: set[int] = set()  # sources an expectation holds for
    reported: set[int] = set()  # sources already named in a failed expectation
    for exp in case.expectations:
        matched = [(c, s) for c, s in pairs if _source_matches(exp, c.get("line"), s)]
        if not matched:
            known = "; ".join(f"line {c.get('line')}: expr={s.get('expr')!r} name={s.get('name')!r}" for c, s in pairs)
            problems.append(f"{exp.describe()}: no such source in the document (it has: {known or 'none'})")
            continue
        # A call line that ran several times may be reported once per run: one run that matches
        # is enough, and a run that matches nothing is caught below as an unexpected finding.
        mismatches = []
        for call, src in matched:
            wrong = _mismatch(exp, case, src)
            if wrong:
                mismatches.append(f"{exp.describe()}: {', '.join(wrong)}. Document: {_describe_source(call, src)}")
            else:
                covered.add(id(src))
        if len(mismatches) == len(matched):
            problems.extend(mismatches)
            reported.update(id(s) for _, s in matched)
    for call, src in pairs:
        status, cause = src.get("status"), src.get("cause")
        if status == "none" and cause not in CAUSES:
            problems.append(f"a missing gradient without a known cause: {_describe_source(call, src)}")
        if status == "none" and id(src) not in covered | reported and not case.all_ok:
            problems.append(f"unexpected finding (no expectation covers it): {_describe_source(call, src)}")
    return problems


@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_case_is_well_formed(path: Path) -> None:
    case = parse_case(path)
    lines = path.read_text().splitlines()
    for exp in case.expectations:
        for key in ("line", "call"):
            value = getattr(exp, key)
            assert value is None or 1 <= value <= len(lines), (
                f"{path.name}: {exp.describe()}: {key}={value} is outside the file"
            )
            assert value is None or not lines[value - 1].lstrip().startswith("#"), (
                f"{path.name}: {exp.describe()}: {key}={value} points at a comment"
            )
    assert case.print_labels, f"{path.name}: the script prints nothing"


@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_case(path: Path, tmp_path: Path, runner) -> None:
    case = parse_case(path)
    out = tmp_path / "doc.json"
    proc = _run(runner, "gradviz", [str(path), "--json", str(out)], tmp_path)
    tail = (
        f"\n({proc.describe()})\n--- stdout (tail) ---\n{proc.stdout[-1500:]}"
        f"\n--- stderr (tail) ---\n{proc.stderr[-3000:]}"
    )
    if case.exit_nonzero:
        assert proc.returncode != 0, f"{path.name}: expected the script to fail, gradviz run exited 0{tail}"
    else:
        assert proc.returncode == 0, f"{path.name}: gradviz run exited {proc.returncode}{tail}"
    missing = [label for label in case.print_labels if label not in proc.stdout]
    assert not missing, f"{path.name}: the script's own output did not come through, missing {missing}{tail}"
    assert out.exists(), f"{path.name}: gradviz run wrote no JSON document{tail}"
    doc = json.loads(out.read_text())
    problems = check_document(case, doc)
    # a case must not pass on a half-recorded trace
    meta = doc.get("meta", {})
    if meta.get("internal_errors", {}).get("count"):
        problems.append(f"gradviz had internal errors while capturing: {meta['internal_errors']}")
    if meta.get("capture_gaps"):
        problems.append(f"capture hooks did not install: {meta['capture_gaps']}")
    assert not problems, (
        f"{path.name} (document headline: {doc.get('summary', {}).get('headline')!r}):\n  " + "\n  ".join(problems)
    )


def test_corpus_covers_every_cause() -> None:
    cases = [parse_case(p) for p in TOP_CASE_FILES]  # fixed twins are not coverage
    per_cause = {cause: sorted(c.path.name for c in cases if cause in c.causes) for cause in CAUSES}
    thin = {cause: files for cause, files in per_cause.items() if len(files) < 2}
    assert not thin, f"causes covered by fewer than two scripts: {thin}"
    clean = [c.path.name for c in cases if c.all_ok]
    assert len(clean) >= 5, f"only {len(clean)} clean scripts: {clean}"
    prefixes = tuple(f"{p}_" for p in (*CAUSES, "clean", "zero"))
    misnamed = sorted(c.path.name for c in cases if not c.path.name.startswith(prefixes))
    assert not misnamed, f"case files must be named <cause>_*.py, clean_*.py or zero_*.py: {misnamed}"


def test_every_case_has_a_fixed_twin() -> None:
    """Each non-clean case has ``fixed/<same name>``, an ``all-ok`` script that names its case."""
    cases = {p.name for p in TOP_CASE_FILES}
    needing = {n for n in cases if not n.startswith("clean_")}
    twins = {p.name for p in TWIN_FILES}
    problems = [f"{n}: no fixed twin (write fixed/{n})" for n in sorted(needing - twins)]
    problems += [f"fixed/{n}: no case {n} beside it" for n in sorted(twins - cases)]
    problems += [f"fixed/{n}: a clean case needs no twin" for n in sorted(twins & (cases - needing))]
    for path in TWIN_FILES:
        text = path.read_text()
        lines = text.splitlines()
        m = _TWIN_HEADER.match(lines[0]) if lines else None
        if not m:
            problems.append(
                f"fixed/{path.name}: the first line must be `# Fixed twin of ../{path.name}: <what changed>`"
            )
        elif m.group("name") != path.name:
            problems.append(f"fixed/{path.name}: the first line names ../{m.group('name')}, not ../{path.name}")
        expects = [raw.strip() for raw in lines if _EXPECT.match(raw) or _EXPECT_EXIT.match(raw)]
        if expects != ["# gradviz-expect: all-ok"]:
            problems.append(
                f"fixed/{path.name}: the only expectation must be `# gradviz-expect: all-ok`, found {expects}"
            )
    assert not problems, "fixed twins:\n  " + "\n  ".join(problems)


# --- ground truth: what plain TensorFlow returns, independent of gradviz -------------------------


def _worst(a: str, b: str) -> str:
    order = {"ok": 0, "zero": 1, "none": 2}
    return a if order[a] >= order[b] else b


@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_ground_truth(path: Path, tmp_path: Path, runner) -> None:
    """The corpus must tell the truth: TF itself returns the statuses the expectations state."""
    case = parse_case(path)
    out = tmp_path / "truth.json"
    proc = _run(runner, "truth", [str(path), str(out)], tmp_path)
    tail = f"\n({proc.describe()})\n--- stderr (tail) ---\n{proc.stderr[-3000:]}"
    assert (proc.returncode != 0) == case.exit_nonzero, f"{path.name}: plain run exited {proc.returncode}{tail}"
    assert out.exists(), f"{path.name}: the recorder wrote nothing{tail}"
    calls = json.loads(out.read_text())
    # A call line that runs several times (a loop, a traced train step) counts by its worst outcome.
    merged: dict[tuple[int, int], dict] = {}
    for call in calls:
        for i, src in enumerate(call["sources"]):
            key = (call["line"], i)
            if key in merged:
                merged[key]["status"] = _worst(merged[key]["status"], src["status"])
            else:
                merged[key] = dict(src, call_line=call["line"])
    problems, covered = [], set()
    for exp in case.expectations:
        hits = [
            (k, s)
            for k, s in merged.items()
            if (exp.call is None or s["call_line"] == exp.call)
            and (
                _names_match(s["name"], exp.name)
                if exp.name
                else s["expr"] is not None and _normalize_expr(s["expr"]) == exp.expr
            )
        ]
        if not hits:
            problems.append(f"{exp.describe()}: TF saw no such source; it saw {sorted(merged.values(), key=str)}")
        for key, src in hits:
            covered.add(key)
            # Inside a tf.function a gradient is symbolic: a zero cannot be told from a value there.
            ok = src["status"] == exp.status or (exp.status == "zero" and src["status"] == "ok" and src["symbolic"])
            if not ok:
                problems.append(f"{exp.describe()}: TF returned {src['status']} (source {src})")
    for key, src in merged.items():
        if case.all_ok and src["status"] != "ok":
            problems.append(f"`all-ok` but TF returned {src['status']} for {src}")
        if not case.all_ok and src["status"] != "ok" and key not in covered:
            problems.append(f"TF returned {src['status']} for a source no expectation covers: {src}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)
