"""Property checks over generated facts: the hypothesis strategies, and the runner.

Strategies are built from each decision's declared fact types (mixed with the representative
values of :mod:`.space` and the static checks' accepted fact combinations). Each generated fact
set and ``as_of`` is a :class:`Case`, evaluated once; every property (a :data:`Check`) gives a
:class:`Verdict` on it. :func:`run_properties` runs all of a decision's properties in one
hypothesis run and keeps each failing property's shrunk counter-example.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..compiler import CompiledDecision
from ..decision import Decision
from ..durations import LONDON
from ..errors import FactsError, PolicyError
from ..evaluate import evaluate
from ..facts import ValueType
from .evaluation import facts_accepted, matched_rule_ids
from .space import OMIT, STATIC_AS_OF, fact_dimensions

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

#: The range of generated dates and decision dates.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2090, 12, 31)
#: Most generated dates fall in a few years around the representative ones, so that facts and
#: ``as_of`` land close enough together for the comparisons between them to go either way.
NEAR_MIN = dt.date(2024, 1, 1)
NEAR_MAX = dt.date(2028, 12, 31)

_MAX_LIST = 6


@dataclass
class Verdict:
    """The result of one property on one generated fact set."""

    state: str  # "checked", "vacuous", "rejected", "skipped", "failed"
    kind: str = ""  # the finding kind when failed
    message: str = ""
    rules: tuple[str, ...] = ()


CHECKED = Verdict("checked")
VACUOUS = Verdict("vacuous")
REJECTED = Verdict("rejected")
SKIPPED = Verdict("skipped")


class Case:
    """One generated fact set and ``as_of``, evaluated once for all the properties."""

    def __init__(self, decision: CompiledDecision, raw: dict[str, Any], as_of: dt.date) -> None:
        self.decision = decision
        self.raw = raw  # as generated: an optional fact may be given as JSON null
        self.facts = {k: v for k, v in raw.items() if v is not None}  # nulls left out
        self.as_of = as_of
        self._result: Decision | Verdict | None = None

    def result(self) -> Decision | Verdict:
        """The decision for ``facts``; ``REJECTED`` for facts the schema or fact checks
        reject; a failed outcome for any other error."""
        if self._result is None:
            self._result = self._evaluate()
        return self._result

    def decided(self) -> Decision | Verdict:
        """The decision, or how a property that needs one should count this case."""
        result = self.result()
        if isinstance(result, Decision) or result is REJECTED:
            return result
        return SKIPPED  # the well_formed property reports the error

    def _evaluate(self) -> Decision | Verdict:
        decision, facts, as_of = self.decision, self.facts, self.as_of
        if not facts_accepted(decision, facts, as_of):
            return REJECTED
        try:
            return evaluate(decision, facts, as_of, full_trace=True)
        except FactsError as exc:
            return Verdict("failed", "facts_error",
                           f"facts the schema and the fact checks accept raised a FactsError: "
                           f"{exc}", matched_rule_ids(decision, facts, as_of))
        except PolicyError as exc:
            return Verdict("failed", "policy_error", f"the decision raised a PolicyError: "
                           f"{'; '.join(p.message for p in exc.problems)}",
                           matched_rule_ids(decision, facts, as_of))
        except Exception as exc:
            return Verdict("failed", "crash",
                           f"the decision raised {type(exc).__name__}: {exc}",
                           matched_rule_ids(decision, facts, as_of))


#: A property: what it makes of one generated case.
Check = Callable[[Case], Verdict]


def _last_sunday(year: int, month: int) -> dt.date:
    """The last Sunday of a month (when the UK clocks change in March and October)."""
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def _value_strategy(vt: ValueType, reps: Sequence[Any]) -> SearchStrategy[Any]:
    """Generated JSON values of type ``vt`` (dates as ISO strings), mixed with ``reps``."""
    from hypothesis import strategies as st

    kind = vt.kind
    base: SearchStrategy[Any]
    if kind == "enum":
        return st.sampled_from(vt.values)
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        base = st.integers(min_value=vt.minimum, max_value=vt.maximum)
    elif kind == "string":
        base = st.text(max_size=40)
    elif kind == "date":
        base = st.one_of(st.dates(NEAR_MIN, NEAR_MAX), st.dates(MIN_DATE, MAX_DATE)
                         ).map(dt.date.isoformat)
    elif kind == "datetime":
        low = dt.datetime.combine(MIN_DATE, dt.time())
        high = dt.datetime.combine(MAX_DATE, dt.time(23, 59, 59))
        aware = st.datetimes(low, high, timezones=st.just(LONDON), allow_imaginary=False)
        naive = st.datetimes(dt.datetime.combine(NEAR_MIN, dt.time()),
                             dt.datetime.combine(NEAR_MAX, dt.time(23, 59, 59)))

        def near_change(year: int, month: int, minute: int, suffix: str) -> str:
            day = _last_sunday(year, month)
            return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{suffix}"

        clock = st.builds(
            near_change,
            st.integers(MIN_DATE.year, MAX_DATE.year),
            st.sampled_from([3, 10]),
            st.integers(0, 4 * 60 - 1),
            st.sampled_from(["", "+00:00", "+01:00", "Z"]),
        )
        base = st.one_of(aware.map(dt.datetime.isoformat), naive.map(dt.datetime.isoformat),
                         clock)
    elif kind == "list":
        assert vt.of is not None
        limit = min(vt.max_items if vt.max_items is not None else _MAX_LIST, _MAX_LIST)
        base = st.lists(_value_strategy(vt.of, ()), max_size=limit)
    elif kind == "record":
        required = {k: _value_strategy(f, ()) for k, f in vt.fields if not f.optional}
        optional = {k: _or_null(_value_strategy(f, ())) for k, f in vt.fields if f.optional}
        base = st.fixed_dictionaries(required, optional=optional)
    else:  # pragma: no cover - the compiler admits no other fact kinds
        return st.none()
    if reps:
        return st.one_of(st.sampled_from(list(reps)), base)
    return base


def _or_null(strategy: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """An optional fact's value: given, or given as JSON null (which the schema accepts)."""
    from hypothesis import strategies as st

    return st.one_of(strategy, st.none())


def case_strategy(decision: CompiledDecision, examples: Sequence[dict[str, Any]] = ()
                  ) -> SearchStrategy[tuple[dict[str, Any], dt.date]]:
    """Generated facts and ``as_of``; some drawn from the static checks' accepted
    combinations (with their decision date), so that the corners the conditions name and the
    facts the fact checks accept come up often."""
    from hypothesis import strategies as st

    dims = fact_dimensions(decision)
    required: dict[str, SearchStrategy[Any]] = {}
    optional: dict[str, SearchStrategy[Any]] = {}
    for d in dims:
        vt = decision.facts[d.name]
        reps = [v for v in d.values if v is not OMIT] if vt.kind not in ("enum", "bool") else []
        strategy = _value_strategy(vt, reps)
        if vt.optional:
            optional[d.name] = _or_null(strategy)
        else:
            required[d.name] = strategy
    facts = st.fixed_dictionaries(required, optional=optional)
    as_of = st.one_of(st.just(STATIC_AS_OF), st.dates(NEAR_MIN, NEAR_MAX),
                      st.dates(MIN_DATE, MAX_DATE))
    generated = st.tuples(facts, as_of)
    if not examples:
        return generated
    seeds = st.tuples(st.sampled_from(list(examples)).map(dict), st.just(STATIC_AS_OF))
    return st.one_of(seeds, generated)


class _PropertyFailed(Exception):
    """Stops a hypothesis run at the first property that fails (hypothesis then shrinks)."""


@dataclass
class Property:
    """One property of a decision, checked on every generated case."""

    name: str  # "well_formed", "null_is_absent" or an invariant's id
    kind: str
    line: int
    check: Check
    description: str = ""


@dataclass
class PropertyRun:
    """How one property fared: fact sets tried, checked and rejected, and its counter-example."""

    tried: int = 0
    checked: int = 0
    rejected: int = 0
    failure: tuple[dict[str, Any], dt.date, Verdict] | None = None


def run_properties(
    decision: CompiledDecision,
    properties: Sequence[Property],
    max_examples: int,
    seed: int | None,
    examples: Sequence[dict[str, Any]] = (),
) -> dict[str, PropertyRun]:
    """Run all of a decision's properties over the same generated fact sets.

    One hypothesis run checks every property on each fact set. When one fails, hypothesis shrinks
    the fact set; the property that fails on the shrunk one is retired with it as its
    counter-example, and the others are run again without it.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as use_seed
    from hypothesis.errors import Flaky

    strategy = case_strategy(decision, examples)
    runs = {p.name: PropertyRun() for p in properties}
    active = list(properties)
    while active:
        for p in active:
            runs[p.name] = PropertyRun()
        last: list[str] = []
        body = _test_body(decision, list(active), runs, last)
        test = settings(
            max_examples=max_examples,
            database=None,
            derandomize=seed is not None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )(given(strategy)(body))
        if seed is not None:
            test = use_seed(seed)(test)
        try:
            test()
        except _PropertyFailed:
            pass
        except Flaky as exc:  # a failure that did not happen again when replayed
            if not last:
                runs[active[0].name].failure = ({}, STATIC_AS_OF, Verdict(
                    "failed", "crash", f"a flaky failure: {type(exc).__name__}: {exc}"))
                last[:] = [active[0].name]
        if not last:
            break
        active = [p for p in active if p.name != last[0]]
    return runs


def _test_body(
    decision: CompiledDecision, properties: list[Property], runs: dict[str, PropertyRun],
    last: list[str],
) -> Callable[[tuple[dict[str, Any], dt.date]], None]:
    """The test hypothesis runs: every property on one generated case."""

    def body(case: tuple[dict[str, Any], dt.date]) -> None:
        raw, as_of = case
        shared = Case(decision, raw, as_of)
        for prop in properties:
            run = runs[prop.name]
            run.tried += 1
            try:
                result = prop.check(shared)
            except Exception as exc:  # a bug in a check is still a failure to report
                result = Verdict("failed", "crash",
                                 f"the check raised {type(exc).__name__}: {exc}")
            if result.state == "checked":
                run.checked += 1
            elif result.state == "rejected":
                run.rejected += 1
            elif result.state == "failed":
                run.failure = (dict(raw), as_of, result)
                last[:] = [prop.name]
                raise _PropertyFailed(result.message)

    return body


def property_seed(seed: int | None, *names: str) -> int | None:
    if seed is None:
        return None
    return (seed * 1_000_003 + zlib.crc32(".".join(names).encode())) % (2**32)
