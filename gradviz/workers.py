"""Multi-worker runs (``tf.distribute.MultiWorkerMirroredStrategy``), after the document stage: each
worker's document is named by its task, and the chief's says which workers made which calls.

Every worker runs the same ``gradviz run`` command; gradviz reads the task from ``TF_CONFIG`` as
TensorFlow does. No TensorFlow and no network here: the documents meet in a folder the workers share.

* A task is ``<type>-<index>`` (``worker-1``). The chief is the ``chief`` task, or ``worker-0`` when
  the cluster has no chief (TensorFlow's rule). Clusters with ``ps`` tasks (parameter-server
  training) and single-task clusters are runs like any other.
* Each task writes its document as ``<stem>.<task>.json`` beside ``--json FILE`` (``out.worker-1.json``)
  or, without ``--json``, as ``<task>.json`` in ``gradviz-<cluster hash>`` under the temporary folder
  (enough when the workers share a machine); its report, with ``--report``, as ``<stem>.<task>.html``.
* The chief then waits, at most ``GRADVIZ_WORKER_WAIT`` seconds (default 60), for the other tasks'
  documents written since it started, and puts a summary of every task in its own document
  (``meta.workers``), which it also writes at the plain ``--json`` / ``--report`` paths. A task whose
  document did not arrive is named in one sentence; the chief never waits longer.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .document import to_json
from .source import where

DEFAULT_WAIT_S = 60.0
_ROLES = ("chief", "worker")  # the tasks that run MultiWorkerMirroredStrategy's replicas


@dataclass(frozen=True)
class Task:
    """This process's place in a multi-worker cluster, from ``TF_CONFIG``."""

    type: str
    index: int
    cluster: Mapping[str, tuple[str, ...]]

    @property
    def name(self) -> str:
        return f"{self.type}-{self.index}"

    @property
    def chief(self) -> str:
        return "chief-0" if self.cluster.get("chief") else "worker-0"

    @property
    def is_chief(self) -> bool:
        return self.name == self.chief

    @property
    def tasks(self) -> list[str]:
        """Every chief and worker task, the chief first."""
        return [f"{role}-{i}" for role in _ROLES for i in range(len(self.cluster.get(role, ())))]


def task_from_env(environ: Mapping[str, str] = os.environ) -> Task | None:
    """This process's task when ``TF_CONFIG`` describes a multi-worker cluster it is a chief or
    worker of; None otherwise (no ``TF_CONFIG``, one task, a parameter-server cluster, unreadable)."""
    try:
        config = json.loads(environ.get("TF_CONFIG") or "{}")
        cluster = {str(k): tuple(v) for k, v in (config.get("cluster") or {}).items()}
        task = config.get("task") or {}
        kind, index = str(task.get("type")), int(task.get("index", 0))
    except (ValueError, TypeError, AttributeError):
        return None
    if kind not in _ROLES or "ps" in cluster or sum(len(cluster.get(r, ())) for r in _ROLES) < 2:
        return None
    return Task(kind, index, cluster)


def task_path(path: str | Path, task: str) -> Path:
    """``out.json`` -> ``out.worker-1.json``."""
    p = Path(path).expanduser()
    return p.with_name(f"{p.stem}.{task}{p.suffix}")


def document_path(json_path: str | None, me: Task, task: str) -> Path:
    """Where ``task`` writes its document (see the module docstring)."""
    if json_path:
        return task_path(json_path, task)
    key = hashlib.sha256(json.dumps(me.cluster, sort_keys=True).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"gradviz-{key}" / f"{task}.json"


def write_document(doc: schema.Document, path: Path) -> Path:
    """Write whole or not at all (the chief may be reading the folder at the same time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(to_json(doc), encoding="utf-8")
    os.replace(partial, path)
    return path


def wait_seconds(environ: Mapping[str, str] = os.environ) -> float:
    try:
        return max(0.0, float(environ.get("GRADVIZ_WORKER_WAIT", DEFAULT_WAIT_S)))
    except ValueError:
        return DEFAULT_WAIT_S


def gather(
    own: schema.Document, me: Task, json_path: str | None, *, since: float, wait_s: float
) -> list[schema.WorkerSummary]:
    """The chief's summary: every task's calls, read from the documents written since ``since``
    (a UNIX time), waiting at most ``wait_s`` seconds for those not there yet."""
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    others = [t for t in me.tasks if t != me.name]
    deadline = time.monotonic() + wait_s
    while True:
        for task in others:
            if task not in found:
                path = document_path(json_path, me, task)
                doc = _read_fresh(path, since)
                if doc is not None:
                    found[task] = (path, doc)
        if len(found) == len(others) or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    out = []
    for task in me.tasks:
        if task == me.name:
            out.append(_summary(task, own, document_path(json_path, me, task)))
        elif task in found:
            out.append(_summary(task, found[task][1], found[task][0]))
        else:
            expected = document_path(json_path, me, task)
            note = (
                f"{task}'s document did not arrive within {wait_s:g} s (expected at {expected}), "
                "so its calls are not shown: was it run under `gradviz run` with the same --json?"
            )
            out.append({"task": task, "document": None, "calls": [], "note": note})
    return out


def _read_fresh(path: Path, since: float) -> dict[str, Any] | None:
    try:
        if path.stat().st_mtime < since:  # an earlier run's
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("gradient_calls"), list) else None


def _summary(task: str, doc: Mapping[str, Any], path: Path) -> schema.WorkerSummary:
    calls: list[schema.WorkerCall] = []
    for call in doc.get("gradient_calls") or []:
        sources = call.get("sources") or []
        causes = sorted({str(s["cause"]) for s in sources if s.get("status") != "ok" and s.get("cause")})
        calls.append(
            {
                "file": call.get("file"),
                "line": call.get("line"),
                "code": call.get("code"),
                "count": int(call.get("count") or 1),
                "replicas": int(call.get("replicas") or 0),
                "missing": sum(s.get("status") == "none" for s in sources),
                "zero": sum(s.get("status") == "zero" for s in sources),
                "causes": causes,
            }
        )
    return {"task": task, "document": str(path), "calls": calls, "note": None}


def summary_lines(doc: Mapping[str, Any]) -> list[str]:
    """The chief's summary in words, one line per task and call (text and report show these)."""
    meta = doc.get("meta") or {}
    workers = meta.get("workers") or []
    if not workers:
        return []
    labels = meta.get("file_labels") or {}
    lines = [f"Workers ({len(workers)} tasks; this is the chief, {meta.get('task') or '?'}):"]
    for w in workers:
        if w.get("note"):
            lines.append(f"  {w['task']}: {w['note']}")
        elif not w.get("calls"):
            lines.append(f"  {w['task']}: made no tape.gradient call")
        for c in w.get("calls") or []:
            at = where((c["file"], c["line"]), labels) if c.get("line") else "?"
            runs = f" (ran {c['count']} times)" if c.get("count", 1) > 1 else ""
            missing = [f"{c[k]} {word}" for k, word in (("missing", "None"), ("zero", "zero")) if c.get(k)]
            result = (
                f"{', '.join(missing)} ({', '.join(c.get('causes') or []) or 'no cause'})"
                if missing
                else "all connected"
            )
            lines.append(f"  {w['task']}: tape.gradient at {at}{runs}: {result}")
    return lines
