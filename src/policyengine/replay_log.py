"""Replay a whole decision log: ``policyengine replay LOG``.

Each logged request is decided again (:func:`policyengine.replay.replay`) and sorted into one
of: ``same``; ``differs`` (with each difference and why: the calendar, the engine or the data
versions changed, or none of them did); ``policy_changed`` (the loaded policy's sha256 is not
the recorded one, so the request cannot be replayed against it); ``not_replayed`` (facts
redacted and not supplied, or a record the loaded policies refuse). Exit code 0 when every
request is the same, 1 otherwise, 2 for a log or key file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decision_log import LogEntry, read_decision_log
from .errors import PolicyEngineError
from .inputs import UnreadableInput, read_regular_file, require_regular_file
from .policyset import PolicySet, load_policies
from .replay import PolicyChangedError, Replay, ReplayError, replay

OUTCOMES = ("same", "differs", "policy_changed", "not_replayed")


@dataclass(frozen=True)
class LoggedReplay:
    """What replaying one log entry found."""

    entry: LogEntry
    outcome: str  # one of OUTCOMES
    reasons: tuple[str, ...] = ()
    replayed: Replay | None = None
    differences: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        record = self.entry.record
        return (f"{self.entry.request_id}  {record.get('policy')}.{record.get('decision')} "
                f"as of {record.get('as_of')}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"request_id": self.entry.request_id,
                               "logged_at": self.entry.logged_at, "outcome": self.outcome,
                               "reasons": list(self.reasons)}
        if self.replayed is not None:
            out.update(self.replayed.to_dict())
        return out


def replay_entries(entries: Iterator[LogEntry], policies: PolicySet, *,
                   facts: Mapping[str, Mapping[str, Any]] | None = None,
                   redaction_key: bytes | None = None) -> Iterator[LoggedReplay]:
    """Replay each entry; ``facts`` maps request ids to the facts of redacted entries."""
    for entry in entries:
        record = entry.record
        given = (facts or {}).get(entry.request_id)
        if isinstance(record.get("facts_redacted"), dict) and given is None:
            yield LoggedReplay(entry, "not_replayed",
                               ("its facts are redacted and were not given (--facts)",))
            continue
        try:
            result = replay(record, policies, facts=given, redaction_key=redaction_key)
        except PolicyChangedError as exc:
            yield LoggedReplay(entry, "policy_changed", (
                f"the policy changed: recorded sha256 {exc.recorded_sha256[:16]}..., "
                f"loaded {exc.loaded_sha256[:16]}...",))
            continue
        except (ReplayError, PolicyEngineError) as exc:
            yield LoggedReplay(entry, "not_replayed", (str(exc),))
            continue
        if result.same:
            yield LoggedReplay(entry, "same", result.changes, result)
            continue
        reasons = result.changes or (
            "nothing it depends on is recorded as changed (same policy sha256, calendar, "
            "engine version and data versions): the engine's code differs",)
        yield LoggedReplay(entry, "differs", reasons, result,
                           tuple(str(d) for d in result.differences))


def _read_key(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        key = read_regular_file(path).strip()
    except UnreadableInput as exc:
        raise PolicyEngineError(f"the redaction key file {path}: {exc.reason}") from None
    except OSError as exc:
        raise PolicyEngineError(f"cannot read the redaction key file {path}: {exc.strerror}"
                                ) from None
    if not key:
        raise PolicyEngineError(f"the redaction key file {path} is empty")
    return key


def _read_facts(path: str | None) -> dict[str, dict[str, Any]] | None:
    """``{"request_id": ..., "facts": {...}}`` per line, for redacted entries."""
    if path is None:
        return None
    found: dict[str, dict[str, Any]] = {}
    try:
        require_regular_file(path)
        with Path(path).open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except (ValueError, RecursionError):
                    data = None
                if not (isinstance(data, dict) and isinstance(data.get("request_id"), str)
                        and isinstance(data.get("facts"), dict)):
                    raise PolicyEngineError(
                        f"{path}:{number}: each line is {{\"request_id\": ..., \"facts\": {{...}}}}"
                    )
                found[data["request_id"]] = data["facts"]
    except UnreadableInput as exc:
        raise PolicyEngineError(f"the facts file {path}: {exc.reason}") from None
    except OSError as exc:
        raise PolicyEngineError(f"cannot read the facts file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyEngineError(f"the facts file {path} is not UTF-8 text") from None
    return found


def _cmd_replay(args: argparse.Namespace) -> int:
    policies = load_policies(args.policies)
    key = _read_key(args.redaction_key_file)
    facts = _read_facts(args.facts)
    counts: Counter[str] = Counter()
    reports: list[dict[str, Any]] = []
    for found in replay_entries(read_decision_log(args.log), policies, facts=facts,
                                redaction_key=key):
        counts[found.outcome] += 1
        if args.json:
            reports.append(found.to_dict())
        elif found.outcome != "same" or args.verbose:
            _print_text(found)
    total = sum(counts.values())
    summary = ", ".join(f"{counts[o]} {o.replace('_', ' ')}" for o in OUTCOMES)
    if args.json:
        print(json.dumps({"replayed": total, **{o: counts[o] for o in OUTCOMES},
                          "entries": reports}, indent=2, ensure_ascii=False))
    else:
        print(f"replayed {total} logged decision(s): {summary}")
    return 0 if counts["same"] == total else 1


def _print_text(found: LoggedReplay) -> None:
    word = {"same": "same", "differs": "differs", "policy_changed": "not replayed",
            "not_replayed": "not replayed"}[found.outcome]
    print(f"{found.label}: {word}")
    for difference in found.differences:
        print(f"    {difference}")
    for reason in found.reasons:
        print(f"    why: {reason}")


def add_cli(sub: Any, policies_option: Callable[[Any], None]) -> None:
    """Add ``policyengine replay LOG``."""
    p = sub.add_parser(
        "replay",
        help="decide each request of a decision log again and report any that now differ",
        description="Decide every request in a decision log (SQLite or JSON lines, as "
                    "'policyengine serve --decision-log' writes) again and report those whose "
                    "answer now differs, and why. Exit 0 when all are the same, else 1.",
    )
    p.add_argument("log", metavar="LOG", help="the decision log (SQLite or .jsonl)")
    p.add_argument("--facts", metavar="FILE.jsonl", default=None,
                   help="facts for redacted entries: one {\"request_id\", \"facts\"} per line")
    p.add_argument("--redaction-key-file", metavar="FILE", default=None,
                   help="the key the log's facts were redacted with")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="also list requests that match")
    policies_option(p)
    p.set_defaults(handler=_cmd_replay)

