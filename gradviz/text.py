"""Plain-text rendering of a diagnosis document, for terminals and viewers without JavaScript."""

from __future__ import annotations

import textwrap
from typing import Any

from .source import short_name
from .workers import summary_lines

_COLORS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2", "cyan": "36"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\033[{_COLORS[style]}m{text}\033[0m" if color else text


def render(doc: Any, *, color: bool = False, brief: bool = False, verbose: bool = False) -> str:
    """A readable report: the headline, then per gradient call its findings, grouped.

    Sources that share a cause, culprit line and subject are one finding, named by the document's
    ``group_labels``;
    connected sources collapse to a count (``verbose`` lists them). ``brief`` leaves out the
    explanation and fix (for beside the widget, which shows them).
    """
    out = []
    labels = doc["meta"].get("file_labels") or {}
    summary = doc["summary"]
    ok = summary["all_connected"]
    head = "gradviz: " + summary["headline"]
    out.append(_paint(head, "green" if ok else ("bold" if not doc["gradient_calls"] else "red"), color))
    for call in doc["gradient_calls"]:
        times = _times(call.get("count", 1), call.get("replicas", 0))
        where = f"{short_name(call['file'], labels)}:{call['line']}" if call["line"] else "?"
        out.append("")
        out.append(_paint(f"tape.gradient at {where}{times}: {call['code'] or ''}".rstrip(), "bold", color))
        names = call.get("group_labels") or []
        if len(names) != len(call["groups"]):  # a document made before the labels (or edited)
            names = [", ".join(_label(call["sources"][i]) for i in group) for group in call["groups"]]
        for group, name in zip(call["groups"], names):
            sources = [call["sources"][i] for i in group]
            out.extend(_finding(sources, name, labels, color=color, brief=brief))
        connected = [s for s in call["sources"] if s["status"] == "ok"]
        if verbose:
            out.extend(f"  {_paint('ok  ', 'green', color)}  {_label(s)}" for s in connected)
        elif connected:
            many = f"{len(connected)} sources" if len(connected) > 1 else _label(connected[0])
            out.append(f"  {_paint('ok  ', 'green', color)}  {many} connected")
    workers = summary_lines(doc)  # a multi-worker run's chief: which workers made which calls
    if workers:
        out.extend(["", _paint(workers[0], "bold", color), *workers[1:]])
    meta = doc["meta"]
    errors = meta.get("internal_errors") or {}
    if errors.get("count"):
        first = (errors.get("first") or ["?"])[0]
        out.append("")
        out.append(_paint(f"gradviz had {errors['count']} internal error(s) while capturing; the graph may be "
                          f"incomplete (first: {first})", "yellow", color))  # fmt: skip
    for gap in meta.get("capture_gaps") or []:
        out.append(_paint(f"gradviz could not hook {gap}", "yellow", color))
    if meta.get("ops_dropped"):
        out.append("")
        out.append(
            _paint(
                f"({meta['ops_seen']} ops seen; {meta['ops_dropped']} not needed for the diagnosis were dropped)",
                "dim",
                color,
            )
        )
    out.extend(_paint(f"({note})", "dim", color) for note in meta.get("capture_notes") or [])
    return "\n".join(out)


def _times(count: int, replicas: int) -> str:
    """How often a call ran: " (ran 250 times)", " (on 2 replicas)", " (ran 40 times, on 2 replicas)"."""
    if replicas > 1:
        return f" (ran {count} times, on {replicas} replicas)" if count > replicas else f" (on {replicas} replicas)"
    return f" (ran {count} times)" if count > 1 else ""


def _label(s: dict) -> str:
    return s["expr"] + (f" ({s['name']})" if s.get("name") and s["name"] != s["expr"] else "")


def _finding(group: list[dict], name: str, labels: dict, *, color: bool, brief: bool) -> list[str]:
    s = group[0]
    style = {"none": "red", "zero": "yellow"}[s["status"]]
    mark = {"none": "None", "zero": "zero"}[s["status"]]
    line = f"  {_paint(mark, style, color)}  {name}"
    if s["cause"]:
        loc = f"{short_name(s['culprit_file'], labels)}:{s['culprit_line']}" if s["culprit_line"] else ""
        line += f"  {_paint(s['cause'], style, color)}" + (f" at {loc}" if loc else "")
    out = [line]
    if s.get("culprit_code"):
        out.append(_paint(f"        {s['culprit_line']:>4} | {s['culprit_code'].strip()}", "cyan", color))
    if s.get("ran_line"):
        out.append(_paint(f"        (the op ran at {short_name(s['ran_file'], labels)}:{s['ran_line']})", "dim", color))
    if brief:
        return out
    notes = [("why", s["explanation"]), ("fix", s["fix"])]
    if s["cause"] == "unexplained":
        # the facts the explanation has not already said
        notes += [("seen", e["fact"]) for e in s.get("evidence") or [] if e["fact"] not in (s["explanation"] or "")]
    for label, text in notes:
        if text:
            out.extend(textwrap.wrap(text, 88, initial_indent=f"        {label}: ", subsequent_indent=" " * 13))
    return out
