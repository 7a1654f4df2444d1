"""Replay a recorded decision: take it again from its record and say what differs, and why.

A record is what :meth:`Decision.to_dict` returns (and what a decision log keeps). Replaying it
decides again with the same policy, decision, facts, ``as_of`` and ``full_trace``, then compares
the status, outcome, trace, citations, interpretations, warnings and facts with the record.

A replay is only meaningful against the same policy text, so it is refused with
:class:`PolicyChangedError` when the loaded policy's sha256 (of the file's bytes as loaded) is
not the recorded one. Everything else the answer depends on is compared and named when it
changed: the calendar (nation, holiday data version, closure and open days, office closing
time), the engine's version and the ``holidays`` and ``tzdata`` versions.

A record whose facts were redacted keeps only an HMAC-SHA256 of them (:func:`facts_digest`):
replaying it takes the facts from elsewhere (``facts=``) with the key, and refuses when they are
not the recorded ones, so a replay can still prove that the answer for those facts is unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from .decision import Decision
from .errors import FactsError, PolicyEngineError
from .policyset import PolicySet
from .records import record

__all__ = [
    "COMPARED",
    "Difference",
    "PolicyChangedError",
    "Replay",
    "ReplayError",
    "facts_digest",
    "replay",
]

#: The parts of a record a replay compares.
COMPARED = ("status", "outcome", "trace", "citations", "interpretations", "warnings", "facts")
#: The provenance entries whose change can explain a difference, and how to name them.
_CAUSES = (
    ("calendar", "the calendar"),
    ("engine_version", "the engine's version"),
    ("holidays", "the holidays package"),
    ("tzdata", "the time-zone data"),
)
REDACTION_ALGORITHM = "hmac-sha256"


class ReplayError(PolicyEngineError):
    """A record that cannot be replayed: malformed, or facts that do not match it."""


class PolicyChangedError(ReplayError):
    """The loaded policy is not the text the record was decided with (its sha256 differs)."""

    def __init__(self, message: str, *, policy: str, recorded: str, loaded: str) -> None:
        self.policy = policy
        self.recorded_sha256 = recorded
        self.loaded_sha256 = loaded
        super().__init__(message)

    def __reduce__(self) -> Any:
        return (_rebuild_policy_changed,
                (str(self), self.policy, self.recorded_sha256, self.loaded_sha256))


def _rebuild_policy_changed(message: str, policy: str, recorded: str, loaded: str
                            ) -> PolicyChangedError:
    return PolicyChangedError(message, policy=policy, recorded=recorded, loaded=loaded)


def canonical_json(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def facts_digest(facts: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) of a record's facts (as ``to_dict()`` gives them) under ``key``.

    Keyed, so that the few possible values of most facts (enums, booleans, dates) cannot be
    recovered by hashing every candidate without the key.
    """
    return hmac.new(key, canonical_json(dict(facts)), hashlib.sha256).hexdigest()


@record
class Difference:
    """One place where the replayed decision differs from the record."""

    path: str
    recorded: Any
    now: Any

    def __str__(self) -> str:
        return f"{self.path}: recorded {_short(self.recorded)}, now {_short(self.now)}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "recorded": self.recorded, "now": self.now}


@record
class Replay:
    """The outcome of replaying one record."""

    policy: str
    decision: str
    as_of: str
    result: Decision
    differences: tuple[Difference, ...]
    #: what changed since the record was made (calendar, engine, holidays, tzdata), in words
    changes: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "decision": self.decision,
            "as_of": self.as_of,
            "same": self.same,
            "differences": [d.to_dict() for d in self.differences],
            "changes": list(self.changes),
        }


def _field(record: Mapping[str, Any], key: str, kind: type, where: str = "") -> Any:
    value = record.get(key)
    if not isinstance(value, kind):
        what = {str: "a string", dict: "an object", bool: "true or false"}.get(kind, str(kind))
        raise ReplayError(f"not a decision record: '{where}{key}' must be {what}")
    return value


def replay(
    record: Mapping[str, Any],
    policies: PolicySet,
    *,
    facts: Mapping[str, Any] | None = None,
    redaction_key: bytes | None = None,
) -> Replay:
    """Decide a recorded decision again and return what differs from the record.

    ``record`` is a :meth:`Decision.to_dict` record. For a record whose facts were redacted,
    pass the facts and the key they were hashed with; they must be the recorded ones. Raises
    :class:`PolicyChangedError` when the loaded policy's sha256 is not the recorded one, and
    :class:`ReplayError` for a malformed record or facts that do not match it.
    """
    if not isinstance(record, Mapping):
        raise ReplayError("not a decision record: a record is a JSON object")
    policy = _field(record, "policy", str)
    decision = _field(record, "decision", str)
    as_of = _field(record, "as_of", str)
    provenance = _field(record, "provenance", dict)
    recorded_sha = _field(provenance, "policy_sha256", str, "provenance.")
    loaded = policies.policy(policy)
    if loaded.sha256 != recorded_sha:
        raise PolicyChangedError(
            f"{policy} has changed since this decision was recorded: the record was decided "
            f"with sha256 {recorded_sha[:16]}..., the loaded {loaded.file_name} has "
            f"{loaded.sha256[:16]}...; replay it against the policy file as it was",
            policy=policy, recorded=recorded_sha, loaded=loaded.sha256,
        )
    redacted = record.get("facts_redacted")
    given = _facts_to_use(record, facts, redacted, redaction_key)
    full_trace = provenance.get("full_trace") is True
    try:
        result = policies.decide(policy, decision, given, as_of, full_trace=full_trace)
    except FactsError as exc:
        raise ReplayError(f"the recorded facts are refused now: {exc}") from None
    now = result.to_dict()
    if isinstance(redacted, Mapping):
        assert redaction_key is not None  # checked by _facts_to_use
        digest = facts_digest(now["facts"], redaction_key)
        if not hmac.compare_digest(digest, str(redacted.get("digest", ""))):
            raise ReplayError(
                f"the facts given for {policy}.{decision} are not the recorded ones "
                "(their HMAC-SHA256 differs from the record's)"
            )
    differences: list[Difference] = []
    for key in COMPARED:
        if key == "facts" and isinstance(redacted, Mapping):
            continue
        _diff(record.get(key), now.get(key), key, differences)
    return Replay(policy, decision, as_of, result, tuple(differences),
                  _changes(provenance, now["provenance"]))


def _facts_to_use(record: Mapping[str, Any], facts: Mapping[str, Any] | None, redacted: Any,
                  key: bytes | None) -> Mapping[str, Any]:
    if isinstance(redacted, Mapping):
        if redacted.get("algorithm") != REDACTION_ALGORITHM:
            raise ReplayError(
                f"the record's facts are redacted with '{redacted.get('algorithm')}'; this "
                f"version replays {REDACTION_ALGORITHM} only"
            )
        if facts is None or key is None:
            raise ReplayError(
                "the record's facts are redacted: give the facts and the redaction key to "
                "replay it"
            )
        return facts
    if facts is not None:
        return facts
    recorded: Mapping[str, Any] = _field(record, "facts", dict)
    return recorded


def _diff(recorded: Any, now: Any, path: str, out: list[Difference]) -> None:
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in [*recorded, *(k for k in now if k not in recorded)]:
            _diff(recorded.get(key, _MISSING), now.get(key, _MISSING), f"{path}.{key}", out)
    elif (isinstance(recorded, list) and isinstance(now, list)
          and len(recorded) == len(now)):
        for i, (a, b) in enumerate(zip(recorded, now, strict=True)):
            _diff(a, b, f"{path}[{i}]", out)
    elif recorded != now or type(recorded) is not type(now):
        out.append(Difference(path, None if recorded is _MISSING else recorded,
                              None if now is _MISSING else now))


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING: Any = _Missing()


def _changes(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for key, name in _CAUSES:
        if key not in recorded:
            continue  # an older record that did not keep it
        before, after = recorded[key], now.get(key)
        if before == after:
            continue
        if key == "calendar" and isinstance(before, dict) and isinstance(after, dict):
            parts = [f"{k} {_short(before.get(k))} -> {_short(after.get(k))}"
                     for k in sorted({*before, *after}) if before.get(k) != after.get(k)]
            found.append(f"{name} changed ({'; '.join(parts)})")
        else:
            found.append(f"{name} changed ({_short(before)} -> {_short(after)})")
    return tuple(found)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."
