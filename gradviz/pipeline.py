"""The one-call path shared by the command line and the cell magic: run code under capture,
diagnose it, and write the outputs. Entry points only add how they show the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import schema
from .capture import Capture
from .diagnose import DEFAULT_MAX_NODES, Diagnosis, diagnose
from .document import to_json
from .errors import OptionError
from .trace import Trace


@dataclass
class Outcome:
    trace: Trace
    diagnosis: Diagnosis
    document: schema.Document
    failure: BaseException | None  # what the captured code raised (to be re-raised or reported)

    def nothing_to_explain(self, what: str) -> str | None:
        """The sentence to show instead of a diagnosis when no gradient call ran (else None), "gradviz"
        its first word."""
        if self.diagnosis.calls:
            return None
        if self.trace.capture_gaps and not self.trace.ops_seen:
            return f"gradviz could not watch {what}: {self.trace.capture_gaps[0]}"
        if self.trace.capture_gaps:  # a call may have run where gradviz could not see it
            return f"gradviz saw no tape.gradient call in {what}, but it could not hook {self.trace.capture_gaps[0]}."
        done = "ran no TensorFlow op" if not self.trace.ops_seen else "made no tape.gradient call"
        return f"gradviz: {what} {done}, so there is no gradient to explain."


def run_and_diagnose(
    body: Callable[[], None],
    *,
    program: str,
    max_ops: int = 50_000,
    all_nodes: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Outcome:
    """Run ``body`` under capture and diagnose what it did. Its exception (other than
    KeyboardInterrupt, which passes straight through) is kept in ``Outcome.failure``."""
    if max_nodes < 1:
        raise OptionError(f"max_nodes={max_nodes}: at least 1 node must be shown.")
    cap = Capture(program=program, max_ops=max_ops)
    failure: BaseException | None = None
    with cap:
        try:
            body()
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # reported after the diagnosis, then re-raised
            failure = e
    if failure is not None:
        cap.trace.error = f"{type(failure).__name__}: {failure}"
    diagnosis = diagnose(cap.trace, all_nodes=all_nodes, max_nodes=max_nodes)
    return Outcome(cap.trace, diagnosis, diagnosis.to_document(), failure)


def check_output_path(path: str | None, what: str) -> None:
    """One clear sentence, before anything runs, for an output path that cannot be written."""
    if path and not Path(path).expanduser().resolve().parent.is_dir():
        raise OptionError(f"{what} {path}: the folder {Path(path).expanduser().resolve().parent} does not exist.")


def write_json(doc: schema.Document, path: str) -> Path:
    out = Path(path).expanduser()
    out.write_text(to_json(doc), encoding="utf-8")
    return out
