"""One contract between Python and JavaScript: ``gradviz/schema.py``.

``js/src/types.ts`` is generated from it (``scripts/gen_types.py``) and must be current; every
document the tests use -- the golden snapshots, which are also the front end's test documents, and
the hand-built ones of ``tests/fixtures/documents.py`` -- must keep it.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
from types import ModuleType

import pytest

from gradviz import schema

ROOT = pathlib.Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "gen_types.py"
SNAPSHOTS = sorted((ROOT / "tests" / "snapshots").glob("*.json"))


def test_types_ts_is_generated_from_the_schema() -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_check_names_the_fix_when_types_ts_is_stale(tmp_path: pathlib.Path) -> None:
    for part in ("scripts/gen_types.py", "gradviz/schema.py", "js/src/types.ts"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, tmp_path / part)
    schema_copy = tmp_path / "gradviz" / "schema.py"
    schema_copy.write_text(schema_copy.read_text() + "\n\nclass Extra(TypedDict):\n    added: int  # new\n")
    check = [sys.executable, str(tmp_path / "scripts" / "gen_types.py"), "--check"]
    result = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "+export interface Extra {" in result.stderr
    assert "Run `python scripts/gen_types.py`" in result.stderr
    subprocess.run(check[:-1], check=True, capture_output=True, timeout=60)
    assert "  added: number;" in (tmp_path / "js" / "src" / "types.ts").read_text()
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 0


@pytest.mark.parametrize("path", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_snapshot_keeps_the_contract(path: pathlib.Path, documents: ModuleType) -> None:
    doc = json.loads(path.read_text())
    assert documents.contract_problems(doc) == []
    causes = [b["cause"] for c in doc["gradient_calls"] for s in c["sources"] for b in s["broken_edges"]]
    causes += [s["cause"] for c in doc["gradient_calls"] for s in c["sources"] if s["cause"] is not None]
    assert set(causes) <= set(schema.CAUSES)


def test_hand_built_documents_keep_the_contract(documents: ModuleType) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    for doc in (
        documents.outside_tape_document(),
        documents.outside_tape_document(scope="model/dense", variable_name="w\u00e9ight", program="a b.py"),
        documents.with_hostile_names(documents.outside_tape_document(), scope=hostile, name=hostile),
        documents.synthetic_document(300),
    ):
        assert documents.contract_problems(doc) == []


def test_contract_problems_finds_each_kind_of_break(documents: ModuleType) -> None:
    doc = documents.outside_tape_document()
    finding = doc["gradient_calls"][0]["sources"][0]
    del doc["summary"]["missing"]
    doc["meta"]["surprise"] = 1
    finding["status"] = "broken"
    finding["culprit_line"] = True  # a bool is not an int in JSON
    finding["name"] = 3
    doc["graph"]["nodes"][0]["shape"] = ["2"]
    doc["graph"]["edges"][0]["recorded_by"] = "tape:0"
    del doc["graph"]["nodes"][1]["id"]
    assert sorted(documents.contract_problems(doc)) == sorted(
        [
            "document.summary: missing 'missing' (Summary)",
            "document.meta: unknown key 'surprise' (Meta)",
            "document.gradient_calls[0].sources[0].status: 'broken' is not one of 'ok', 'none', 'zero'",
            "document.gradient_calls[0].sources[0].culprit_line: expected int, got True",
            "document.gradient_calls[0].sources[0].name: expected str, got 3",
            "document.graph.nodes[0].shape[0]: expected int, got '2'",
            "document.graph.edges[0].recorded_by: expected a list, got 'tape:0'",
            "document.graph.nodes[1]: missing 'id' (NodeData)",
        ]
    )


# ---------------------------------------------------------------- the generator


@pytest.fixture(scope="module")
def gen_types() -> ModuleType:
    """``scripts/gen_types.py`` as a module (``scripts/`` is no package), to feed it small schemas."""
    spec = importlib.util.spec_from_file_location("gen_types", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def generate(gen_types: ModuleType, source: str) -> str:
    return gen_types.generate(textwrap.dedent(source))


def test_generator_writes_each_construct(gen_types: ModuleType) -> None:
    ts = generate(
        gen_types,
        '''
        """A schema."""
        from typing import Literal, NotRequired, Optional, Required, TypedDict

        SCHEMA_VERSION = 7
        Mode = Literal["a", "b"]  # how it runs
        FRUITS: tuple[str, ...] = ("apple", "pear")
        _private = 1

        class Inner(TypedDict, total=False):
            """An inner thing.

            Over two lines, with ``code`` and a */ that must not end the comment.
            """
            must: Required[int]
            # a section
            maybe: str | None  # a trailing comment
            mode: Mode

        class Outer(TypedDict):
            items: list[Inner]
            by_name: dict[str, list[int | None]]
            later: NotRequired["Later"]
            old: Optional[bool]
            anything: object
            flag: Literal[True, 0, None]

        class Later(Outer):
            extra: float
        ''',
    )
    assert ts.startswith("// Generated by scripts/gen_types.py from gradviz/schema.py -- do not edit.\n")
    for line in [
        "/** A schema. */",
        "export const SCHEMA_VERSION = 7;",
        '/** how it runs */\nexport type Mode = "a" | "b";',
        'export const FRUITS = [\n  "apple",\n  "pear",\n] as const;',
        "/**\n * An inner thing.\n *\n * Over two lines, with `code` and a *\\/ that must not end the comment.\n */\nexport interface Inner {",
        "  must: number;\n  // a section\n  /** a trailing comment */\n  maybe?: string | null;\n  mode?: Mode;\n}",
        "  items: Inner[];\n  by_name: Record<string, (number | null)[]>;\n  later?: Later;\n  old: boolean | null;\n"
        "  anything: unknown;\n  flag: true | 0 | null;\n}",
        "export interface Later extends Outer {\n  extra: number;\n}",
    ]:
        assert line in ts
    assert "_private" not in ts and "Cause" not in ts


def test_generator_types_the_causes(gen_types: ModuleType) -> None:
    ts = generate(gen_types, 'CAUSES: tuple[str, ...] = ("outside_tape",)\n')
    assert 'export const CAUSES = [\n  "outside_tape",\n] as const;\nexport type Cause = (typeof CAUSES)[number];' in ts


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from typing import Any, TypedDict\nclass A(TypedDict):\n    x: Any\n", "schema.py:3: `Any` promises"),
        (
            "from typing import TypedDict\nclass A(TypedDict):\n    x: tuple[int, int]\n",
            "schema.py:3: gen_types.py does not know how to write `tuple[int, int]`",
        ),
        (
            "from typing import TypedDict\nclass A(TypedDict):\n    x: dict[int, str]\n",
            "schema.py:3: JSON object keys are strings",
        ),
        ("from typing import TypedDict\nclass A(TypedDict):\n    x: Missing\n", "schema.py:3: unknown type `Missing`"),
        (
            "from typing import Literal\nMode = Literal[1.5]\n",
            "schema.py:2: `Literal[1.5]`: only str, int, bool and None literals",
        ),
        ("class A:\n    x: int\n", "schema.py:1: class `A` is not a TypedDict"),
        (
            "from typing import TypedDict\nclass A(TypedDict):\n    x: int = 1\n",
            "schema.py:3: class `A`: a TypedDict body holds only `name: type` fields",
        ),
        (
            "def helper():\n    pass\n",
            "schema.py:1: gen_types.py does not know what TypeScript to write for `def helper",
        ),
        (
            "LIMITS = {'a': 1}\n",
            "schema.py:1: gen_types.py only writes constants that are tuples of strings, not `LIMITS`",
        ),
        ("SCHEMA_VERSION = '2'\n", "schema.py:1: SCHEMA_VERSION must be a plain integer"),
        ("limit = 3\n", "schema.py:1: gen_types.py does not know what TypeScript to write for `limit`"),
    ],
)
def test_generator_refuses_what_it_does_not_understand(gen_types: ModuleType, source: str, message: str) -> None:
    with pytest.raises(gen_types.SchemaError, match=re.escape(message)):
        gen_types.generate(source)


def test_generator_output_of_the_real_schema_has_every_typed_dict(gen_types: ModuleType) -> None:
    ts = gen_types.generate((ROOT / "gradviz" / "schema.py").read_text())
    typed_dicts = [
        name for name, value in vars(schema).items() if isinstance(value, type) and hasattr(value, "__total__")
    ]
    assert "Document" in typed_dicts
    for name in typed_dicts:
        assert f"export interface {name} " in ts
    assert f"export const SCHEMA_VERSION = {schema.SCHEMA_VERSION};" in ts
    assert all(f'  "{cause}",' in ts for cause in schema.CAUSES)
