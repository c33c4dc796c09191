"""The user's source text: lines, parsed modules, and how files are labelled for people.

Part of the diagnose stage (and read by the text and report renderers). Files are read through
:mod:`linecache` (which also holds notebook cells IPython compiled) and parsed once per version:
``linecache`` is re-checked against the file's modification time, and parses are cached by the
text itself, so a long notebook session that edits a module never reads stale source.
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import os
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

Location = tuple[str, int]


def lines(file: str) -> list[str]:
    """The file's lines as the program ran them (``linecache``, refreshed when the file changed)."""
    linecache.checkcache(file)
    return linecache.getlines(file)


def line(file: str | None, lineno: int | None) -> str:
    """One line's text without its newline ("" when unknown)."""
    if not file or not lineno:
        return ""
    text = lines(file)
    return text[lineno - 1].rstrip("\n") if 0 < lineno <= len(text) else ""


def module(file: str | None) -> ast.Module | None:
    """The parsed file (None when it cannot be read or parsed)."""
    if not file:
        return None
    return _parse(file, tuple(lines(file)))


@lru_cache(maxsize=256)
def _parse(file: str, text_lines: tuple[str, ...]) -> ast.Module | None:
    text = "".join(text_lines)
    if not text:
        return None
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    # a notebook cell: blank out IPython's magic and shell lines, keeping line numbers
    blanked = ["\n" if ln.lstrip().startswith(("%", "!")) else ln for ln in text_lines]
    try:
        return ast.parse("".join(blanked))
    except SyntaxError:
        return None


def segment(file: str, node: ast.AST) -> str:
    """The source text of an AST node as written (falls back to ``ast.unparse``)."""
    return ast.get_source_segment("".join(lines(file)), node) or ast.unparse(node)


# File names as people know them while a diagnosis is written (notebook cells: "cell [3]"); see `labelled`.
_labels: dict[str, str] = {}


@contextlib.contextmanager
def labelled(labels: dict[str, str]) -> Iterator[None]:
    """Within the block, :func:`short_name` and :func:`where` name these files by their labels, so the
    diagnosis's own sentences (its evidence) say ``cell [3]:5``, not a temporary file's name."""
    saved = dict(_labels)
    _labels.update(labels)
    try:
        yield
    finally:
        _labels.clear()
        _labels.update(saved)


def short_name(file: str | None, labels: dict[str, str] | None = None) -> str:
    """How a file is named for people: its label (``cell [3]``) or its base name."""
    labels = labels or _labels
    if labels and file in labels:
        return labels[file]
    return (file or "?").rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]


def where(loc: Location | None, labels: dict[str, str] | None = None) -> str:
    """``train.py:12`` (or ``cell [3]:6``)."""
    return f"{short_name(loc[0], labels)}:{loc[1]}" if loc else "?"


# ------------------------------------------------------------------ what a line does
def statement_at(file: str, lineno: int) -> ast.stmt | None:
    """The innermost simple statement that spans the line."""
    tree = module(file)
    if tree is None:
        return None
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= lineno <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def enclosing_function(file: str, lineno: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The innermost function whose body holds the line (None at module level)."""
    tree = module(file)
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= lineno <= (
            node.end_lineno or node.lineno
        ):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def scope_span(file: str, lineno: int) -> tuple[int, int]:
    """The first and last line of the function (or module) that holds the line."""
    fn = enclosing_function(file, lineno)
    if fn is not None:
        return fn.lineno, fn.end_lineno or fn.lineno
    return 1, len(lines(file))


def bound_names(file: str, lineno: int) -> list[str]:
    """Names the statement on this line binds, in order (``a, b = f()`` gives ``['a', 'b']``)."""
    stmt = statement_at(file, lineno)
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    out: list[str] = []

    def flat(t: ast.expr) -> None:
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                flat(e)
        elif isinstance(t, ast.Starred):
            flat(t.value)
        else:
            out.append(ast.unparse(t))

    for t in targets:
        flat(t)
    return out


def rebinds_itself(file: str, lineno: int) -> set[str]:
    """Names that the statement on this line rebinds to an expression mentioning the same name."""
    stmt = statement_at(file, lineno)
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return set()
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = {ast.unparse(t) for t in targets}
    if isinstance(stmt, ast.AugAssign):
        return names
    value = ast.unparse(stmt.value) if stmt.value is not None else ""
    return {n for n in names if n in value}


def _function_of(file: str, lineno: int) -> ast.AST | None:
    return enclosing_function(file, lineno)


def same_function(a: Location, b: Location) -> bool:
    """Whether two lines lie in the same function (or both at module level) of the same file."""
    return a[0] == b[0] and _function_of(a[0], a[1]) is _function_of(b[0], b[1])


def returned(file: str, lineno: int, names: list[str]) -> bool:
    """Whether the value made on this line leaves its function: the line is a ``return``, or a
    name it binds is returned."""
    stmt = statement_at(file, lineno)
    if isinstance(stmt, ast.Return):
        return True
    fn = enclosing_function(file, lineno)
    if fn is None or not names:
        return False
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None and node.lineno > lineno:
            used = {ast.unparse(n) for n in ast.walk(node.value) if isinstance(n, (ast.Name, ast.Attribute))}
            if used & set(names):
                return True
    return False


def conditional_call_of_attribute(file: str, lineno: int) -> Location | None:
    """For ``self.head = Layer(...)`` on this line: the ``if`` line under which the class calls
    ``self.head(...)``, when every such call is conditional (None otherwise)."""
    stmt = statement_at(file, lineno)
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return None
    target = stmt.targets[0]
    if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
        return None
    tree = module(file)
    owner = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ClassDef) and node.lineno <= lineno <= (node.end_lineno or node.lineno):
            if owner is None or node.lineno >= owner.lineno:
                owner = node
    if owner is None:
        return None
    attr = target.attr
    branches: list[int] = []

    def visit(node: ast.AST, condition: int | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If):
                visit(child.test, condition)
                for part in (*child.body, *child.orelse):
                    _check(part, child.lineno)
                    visit(part, child.lineno)
                continue
            _check(child, condition)
            visit(child, condition)

    def _check(node: ast.AST, condition: int | None) -> None:
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attr
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
        ):  # fmt: skip
            branches.append(condition if condition is not None else -1)

    visit(owner, None)
    if branches and all(b > 0 for b in branches):
        return file, min(branches)
    return None


def return_line(file: str, def_line: int) -> Location | None:
    """The ``return`` of the function defined at ``def_line`` that gives None (the first that has
    a literal None in it, else the last one)."""
    tree = module(file)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if def_line not in (node.lineno, first):
            continue
        returns = [n for n in _own_statements(node) if isinstance(n, ast.Return)]
        if not returns:
            return None
        with_none = [
            r for r in returns
            if r.value is None or any(isinstance(c, ast.Constant) and c.value is None for c in ast.walk(r.value))
        ]  # fmt: skip
        chosen = with_none[0] if with_none else returns[-1]
        return file, chosen.lineno
    return None


def _own_statements(fn: ast.AST) -> list[ast.AST]:
    """The nodes of a function body, not descending into nested functions or classes."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        n = stack.pop()
        out.append(n)
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
    return sorted(out, key=lambda n: getattr(n, "lineno", 0))


def return_position(file: str, lineno: int, names: list[str]) -> int | None:
    """Where a name bound on this line sits in its function's returned tuple (``return a, b``
    gives 1 for ``b``); None when the whole value is returned or it is not found."""
    fn = enclosing_function(file, lineno)
    stmt = statement_at(file, lineno)
    returns = [stmt] if isinstance(stmt, ast.Return) else [
        n for n in (ast.walk(fn) if fn is not None else ()) if isinstance(n, ast.Return) and n.lineno > lineno
    ]  # fmt: skip
    for r in returns:
        if isinstance(r.value, (ast.Tuple, ast.List)):
            for i, e in enumerate(r.value.elts):
                if ast.unparse(e) in names:
                    return i
    return None


def drops_element(file: str, lineno: int, position: int) -> bool:
    """Whether the statement on this line takes another element than ``position`` of a call's
    result (``encoder(ids)[0]`` drops element 1)."""
    stmt = statement_at(file, lineno)
    if stmt is None:
        return False
    for node in ast.walk(stmt):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
            index = node.slice
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                return index.value != position
    return False


def assigned_attribute(file: str, lineno: int) -> str | None:
    """``head`` for a line ``self.head = ...``."""
    stmt = statement_at(file, lineno)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        t = stmt.targets[0]
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
            return t.attr
    return None


# ------------------------------------------------------------------ values that leave TensorFlow
def names_read(file: str, lineno: int) -> list[str]:
    """The plain names the statement on this line reads."""
    stmt = statement_at(file, lineno)
    if stmt is None:
        return []
    value = getattr(stmt, "value", None) if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)) else stmt
    return [n.id for n in ast.walk(value) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)] if value else []


def binding_before(file: str, lineno: int, name: str) -> int | None:
    """The line of the last statement before ``lineno``, in the same function, that binds ``name``."""
    fn = enclosing_function(file, lineno)
    scope = fn if fn is not None else module(file)
    best = None
    for node in ast.walk(scope) if scope is not None else ():
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.lineno < lineno:
            if enclosing_function(file, node.lineno) is not fn:
                continue
            if name in bound_names(file, node.lineno) and (best is None or node.lineno > best):
                best = node.lineno
    return best


def numpy_call(file: str, lineno: int) -> str | None:
    """The NumPy function the statement on this line calls (``np.argmax``), or ``.numpy()``."""
    stmt = statement_at(file, lineno)
    tree = module(file)
    if stmt is None or tree is None:
        return None
    aliases = {"numpy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = node.func.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in aliases:
                return ast.unparse(node.func)
            if node.func.attr == "numpy" and not node.args:
                return ast.unparse(node.func) + "()"
    return None


def _gradient_call(file: str | None, line: int | None) -> ast.Call | None:
    """The `tape.gradient(...)` (or `tf.gradients`, `jacobian`, `batch_jacobian`) call on ``line``."""
    tree = module(file) if file and line else None
    if tree is None or line is None:
        return None
    best = None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("gradient", "gradients", "jacobian", "batch_jacobian")
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ):  # fmt: skip
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def tape_name(file: str | None, line: int | None) -> str | None:
    """The name the code gives the tape whose gradient is asked on ``line`` (`d_tape` in
    `d_tape.gradient(...)`); None for `tf.gradients` or a tape reached through an expression."""
    call = _gradient_call(file, line)
    if call is None or call.func.attr == "gradients":  # type: ignore[attr-defined]
        return None
    owner = call.func.value  # type: ignore[attr-defined]
    return owner.id if isinstance(owner, ast.Name) else None


def call_exprs(file: str | None, line: int | None, paths: list[tuple[Any, ...]]) -> tuple[str, list[str | None]] | None:
    """The target and each flattened source as written in the `tape.gradient(...)` call.

    A source written as one expression that holds several (`model.trainable_variables`, a dict)
    gets one entry per element, by its place in the structure: `vs["dense"]`, `params[2]`.
    """
    n = len(paths)
    best = _gradient_call(file, line)
    if best is None or file is None:
        return None
    args = list(best.args)
    kw = {k.arg: k.value for k in best.keywords}
    target = args[0] if args else kw.get("target", kw.get("ys"))
    sources = args[1] if len(args) > 1 else kw.get("sources", kw.get("xs"))
    if target is None or sources is None:
        return None
    flat: list[ast.AST] = []

    def walk(e: ast.AST) -> None:
        if isinstance(e, (ast.List, ast.Tuple)):
            for x in e.elts:
                walk(x)
        else:
            flat.append(e)

    walk(sources)
    if len(flat) == n:
        exprs: list[str | None] = [segment(file, e) for e in flat]
    elif len(flat) == 1:
        base = segment(file, flat[0])
        if not isinstance(flat[0], (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            base = f"({base})"
        exprs = [base + "".join(f"[{k!r}]" for k in path) for path in paths]
    else:
        exprs = [None] * n
    return segment(file, target), exprs
