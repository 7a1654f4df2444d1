"""``policyengine monitor``: replay events into a store, and report what is owed and overdue.

    policyengine monitor EVENTS.jsonl [--store S] [--engine E] [--as-of M] [--json]
    policyengine monitor report --store S [--as-of M] [--days N] [--json]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..durations import LONDON, format_moment
from ..errors import PolicyEngineError
from .answers import Obligation
from .core import ENGINES, Monitor
from .errors import INSTALL_HINT, EventsFileError, MonitorError
from .events import parse_moment

CASE_LIST_LIMIT = 200  # a report lists every case only up to this many


def read_events(path: str, stream: TextIO | None = None) -> list[tuple[int, dict[str, Any]]]:
    """The events of a JSON-lines file (``-``: standard input; blank lines skipped), each with
    its line number. Read within the input limits (size, nesting depth, digits of a number;
    :mod:`policyengine.inputs`), so a hostile file is refused with its line, never a crash."""
    from ..inputs import UnreadableInput, read_json_lines

    try:
        values = read_json_lines(path, "the events file",
                                 stdin=stream if stream is not None else sys.stdin)
    except UnreadableInput as exc:
        reason = exc.reason.removeprefix(f"line {exc.line}: ")
        raise EventsFileError(reason, file=path, line=exc.line) from None
    events: list[tuple[int, dict[str, Any]]] = []
    for number, value in values:
        if not isinstance(value, dict):
            raise EventsFileError("each line is one event, a JSON object", file=path,
                                  line=number)
        events.append((number, value))
    return events


def replay(monitor: Monitor, events: Iterable[tuple[int, dict[str, Any]]], file: str,
           until: dt.datetime | None = None, batch: int = 1000) -> tuple[int, int]:
    """Post events in file order, committed in batches; returns (applied, skipped because
    after ``until``). A refused event stops the replay with its line (those before it stay)."""
    lines: list[int] = []
    skipped = 0

    def wanted() -> Iterator[dict[str, Any]]:
        nonlocal skipped
        for number, event in events:
            if until is not None and "at" in event:
                try:
                    at = parse_moment(event["at"], "at")
                except MonitorError:
                    at = None
                if at is not None and at > until:
                    skipped += 1
                    continue
            lines.append(number)
            yield event

    applied = 0
    try:
        for _ in monitor.post_many(wanted(), batch=batch):
            applied += 1
    except PolicyEngineError as exc:  # every event before the refused one was applied
        line = lines[applied] if applied < len(lines) else (lines[-1] if lines else 0)
        raise EventsFileError(str(exc), file=file, line=line) from None
    return applied, skipped


def _describe_due(ob: Obligation) -> str:
    if ob.for_judgement:
        return "for a person's judgement"
    if ob.due is None:
        return "no due date"
    return f"due {format_moment(ob.due)}"


_MARKS = {"overdue": "OVERDUE ", "past_target": "PAST TGT", "awaiting_judgement": "JUDGE   ",
          "expired": "EXPIRED "}


def _obligation_lines(o: Obligation) -> list[str]:
    lines = [f"  {_MARKS.get(o.status, 'open    ')} {o.id:<28} {_describe_due(o):<34} "
             f"{o.description}"]
    if o.decision is not None:
        fired = ", ".join(s.rule for s in o.decision.trace)
        lines.append(f"           from {o.decision.decision} ({fired})")
    if o.for_judgement and o.considerations:
        ids = ", ".join(str(c.get("id")) for c in o.considerations)
        lines.append(f"           weigh: {ids}")
    for cite in o.citations[:2]:
        clause = str(cite.get("clause", ""))
        short = clause if len(clause) <= 90 else clause[:87] + "..."
        lines.append(f"           \"{short}\" ({cite.get('document')})")
    return lines


def report_text(monitor: Monitor, as_of: dt.datetime | None, applied: int | None,
                skipped: int = 0, days: int = 7, limit: int = 50) -> str:
    lines: list[str] = []
    when = format_moment(as_of) if as_of else "(no events)"
    overdue = monitor.overdue(as_of, limit=limit) if as_of else []
    targets = monitor.past_target(as_of, limit=limit) if as_of else []
    n_overdue = monitor.count_overdue(as_of) if as_of else 0
    n_targets = monitor.count_overdue(as_of, kind="target") if as_of else 0
    total = monitor.store.count_cases()
    open_cases = monitor.store.count_cases(include_closed=False)
    done = f"{applied} events, " if applied is not None else ""
    lines.append(f"as of {when}: {done}{total} cases ({open_cases} open), "
                 f"{n_overdue} overdue, {n_targets} past target")
    if skipped:
        lines.append(f"({skipped} events after {when} were not applied)")
    if as_of is not None and total <= CASE_LIST_LIMIT:
        for case_id in monitor.cases():
            st = monitor.state(case_id)
            obs = [o for o in monitor.obligations(case_id, as_of) if o.is_open]
            lines.append("")
            closed = " (closed)" if st.closed else ""
            lines.append(f"{case_id}  {st.case_type}  state: {st.state}{closed}")
            if not obs:
                lines.append("  nothing open")
            for o in obs:
                lines.extend(_obligation_lines(o))
    if as_of is not None:
        soon = [o for o in monitor.due_between(as_of, as_of + dt.timedelta(days=days),
                                               as_of=as_of, limit=limit) if o.status == "open"]
        for title, found, count in (("overdue", overdue, n_overdue),
                                    ("past target (not a breach)", targets, n_targets),
                                    (f"due in the next {days} days", soon, None)):
            if found:
                lines.append("")
                lines.append(f"{title}:")
                for o in found:
                    lines.append(f"  {o.case}  {o.id}  {_describe_due(o)}  {o.description}")
                if count is not None and count > len(found):
                    lines.append(f"  ... and {count - len(found)} more (--limit)")
                elif count is None and len(found) == limit:
                    lines.append(f"  ... and perhaps more (the first {limit}: --limit)")
    return "\n".join(lines) + "\n"


def report_json(monitor: Monitor, as_of: dt.datetime | None, applied: int | None,
                skipped: int = 0, days: int = 7, limit: int = 50) -> dict[str, Any]:
    cases = []
    if monitor.store.count_cases() <= CASE_LIST_LIMIT:
        for case_id in monitor.cases():
            st = monitor.state(case_id)
            cases.append({
                "case": case_id, "case_type": st.case_type, "state": st.state,
                "closed": st.closed,
                "obligations": [o.to_dict() for o in monitor.obligations(case_id, as_of)
                                if o.is_open],
            })
    soon = monitor.due_between(as_of, as_of + dt.timedelta(days=days), as_of=as_of,
                               limit=limit) if as_of else []
    return {
        "as_of": format_moment(as_of) if as_of else None,
        "events_applied": applied,
        "events_after_as_of": skipped,
        "cases": cases,
        "overdue_count": monitor.count_overdue(as_of) if as_of else 0,
        "past_target_count": monitor.count_overdue(as_of, kind="target") if as_of else 0,
        "overdue": [o.to_dict() for o in (monitor.overdue(as_of, limit=limit) if as_of
                                          else [])],
        "past_target": [o.to_dict() for o in (monitor.past_target(as_of, limit=limit) if as_of
                                              else [])],
        "due_soon": [o.to_dict() for o in soon if o.status == "open"],
    }


def _cmd_monitor(args: Any) -> int:
    from ..policyset import load_policies

    target = args.events
    if target is None:
        raise MonitorError("give an events file to replay (or '-' for stdin), or 'report' "
                           "with --store")
    if target == "report" and args.store is None:
        raise MonitorError("'policyengine monitor report' reads a store: give --store (a "
                           "SQLite file or a postgresql:// URL)")
    if args.store is not None and args.store != ":memory:" and "://" not in args.store \
            and target == "report" and not Path(args.store).exists():
        raise MonitorError(f"no store at {args.store}")
    policies = load_policies(args.policies)
    as_of = parse_moment(args.as_of, "--as-of") if args.as_of else None
    with Monitor(policies, store=args.store, engine=args.engine) as monitor:
        applied: int | None = None
        skipped = 0
        if target != "report":
            events = read_events(target)
            applied, skipped = replay(monitor, events, target, as_of)
            moment = as_of or monitor.now
        else:
            moment = as_of or dt.datetime.now(LONDON)
        if args.json:
            print(json.dumps(report_json(monitor, moment, applied, skipped, args.days,
                                         args.limit), indent=2, ensure_ascii=False))
        else:
            print(report_text(monitor, moment, applied, skipped, args.days, args.limit), end="")
    return 0


def add_cli(sub: Any, policies_option: Callable[[Any], None]) -> None:
    """Add ``policyengine monitor``."""
    p = sub.add_parser(
        "monitor",
        help="replay case events (JSON lines) into a store, or report what is owed and overdue",
        description="Replay case events, one JSON object per line, through the policies' "
                    "lifecycles into a store (in memory unless --store), and print each case's "
                    "open, overdue and due-soon obligations; 'report' prints them from a store "
                    "as of now. engine 'durable' needs the 'monitor' extra: " + INSTALL_HINT,
    )
    p.add_argument("events", metavar="EVENTS.jsonl|report", nargs="?", default=None,
                   help="events file ('-' = stdin), or 'report' to read --store only")
    p.add_argument("--store", metavar="STORE", default=None,
                   help="a SQLite file or a postgresql:// URL (default: in memory)")
    p.add_argument("--engine", choices=ENGINES, default="python",
                   help="the matcher (default python; durable needs the 'monitor' extra)")
    p.add_argument("--as-of", metavar="MOMENT", default=None,
                   help="date-time (naive = London) or date (its start); events after it are "
                        "not applied (default: the latest event; for report: now)")
    p.add_argument("--days", type=int, default=7, help="'due soon' means within this many days")
    p.add_argument("--limit", type=int, default=50,
                   help="list at most this many of each (overdue, past target, due soon)")
    p.add_argument("--json", action="store_true", help="print JSON")
    policies_option(p)
    p.set_defaults(handler=_cmd_monitor)
