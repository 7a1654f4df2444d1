"""Parse a value (a ``then`` value, or one inside a condition) into the nodes of :mod:`.nodes`.

The forms: literals, ``{fact: x}``, ``{outcome: x}``, ``{interpretation: x}``,
``{add: {working_days: 10}, to: {fact: x}}``, ``{subtract: {months: 1}, from: ...}``,
comparisons ``{on_or_before: [a, b]}`` (also before, after, on_or_after, equal),
``{holds: condition}``, ``{count: list}``, ``{sample: {of: x, percent: 20, salt: s}}``,
``{if: condition, then: value, else: value}``. Each value's type is worked out here and checked
where it is used, with the position of the mistake.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..durations import UNITS, Duration, parse_duration
from ..errors import did_you_mean
from ..facts import ANY, BOOL, DATE, DATETIME, INT, STRING, ValueType
from ..load import Path_
from . import nodes as n
from .checks import common_type
from .codegen import CodeGenerator
from .nodes import COMPARISONS
from .parse_conditions import ConditionParser


def literal_type(value: Any) -> ValueType:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, dt.datetime):
        return DATETIME
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, str):
        return STRING
    return ANY


class Parser(ConditionParser):
    """The whole parser: conditions (from :class:`ConditionParser`) and values."""

    def value(self, node: Any, path: Path_) -> n.Value:
        if isinstance(node, dict):
            return self.operator(node, path)
        if isinstance(node, list):
            items = tuple(self.value(v, (*path, i)) for i, v in enumerate(node))
            elem = items[0].type if items else ANY
            return n.ListOf(items, ValueType("list", of=elem))
        if node is None:
            raise self.scope.fail(path, "a value is missing here")
        if isinstance(node, float):  # an outcome would otherwise take any number, of any type
            raise self.scope.fail(path, f"{node} is a number with a fraction; a policy's values "
                                        "are whole numbers, dates, text, or true or false")
        return n.Literal(node, literal_type(node))

    def operator(self, node: dict[str, Any], path: Path_) -> n.Value:
        scope = self.scope
        keys = set(node)
        if keys == {"fact"}:
            return self.fact(node["fact"], (*path, "fact"))
        if keys == {"outcome"}:
            return self.outcome(node["outcome"], (*path, "outcome"))
        if keys == {"interpretation"}:
            name = node["interpretation"]
            if not isinstance(name, str) or name not in scope.interpretations:
                raise scope.fail(
                    (*path, "interpretation"),
                    f"unknown interpretation '{name}'"
                    f"{did_you_mean(str(name), list(scope.interpretations))}",
                )
            value = scope.interpretations[name]
            return n.InterpretationRef(name, value, literal_type(value))
        if keys in ({"add", "to"}, {"subtract", "from"}):
            return self.date_shift(node, path)
        if len(keys) == 1 and next(iter(keys)) in COMPARISONS:
            op = next(iter(keys))
            return self.comparison(op, node[op], (*path, op))
        if keys == {"holds"}:
            return n.ConditionValue(self.condition(node["holds"], (*path, "holds")))
        if keys == {"count"}:
            counted = node["count"]
            if isinstance(counted, dict) and set(counted) == {"fact"}:
                inner = self.fact(counted["fact"], (*path, "count", "fact"), length_only=True)
            else:
                inner = self.value(counted, (*path, "count"))
            if inner.type.kind != "list":
                raise scope.fail((*path, "count"), "'count' needs a list")
            return n.Count(inner)
        if keys == {"sample"}:
            return self.sample(node["sample"], (*path, "sample"))
        if keys == {"if", "then", "else"}:
            cond = self.condition(node["if"], (*path, "if"))
            yes = self.value(node["then"], (*path, "then"))
            no = self.value(node["else"], (*path, "else"))
            result = common_type(yes.type, no.type)
            if result is None:
                raise scope.fail(
                    path,
                    f"'then' gives {yes.type.describe()} but 'else' gives {no.type.describe()}",
                )
            return n.Choose(cond, yes, no, result)
        known = ["fact", "outcome", "interpretation", "add/to", "subtract/from", "holds", "count",
                 "sample", "if/then/else", *COMPARISONS]
        if keys & {"all", "any", "not"}:
            raise scope.fail(
                path,
                f"'{'/'.join(sorted(keys & {'all', 'any', 'not'}))}' combines conditions, not "
                "values: in a 'when', write it directly (when: {all: [...]}); as a value, wrap "
                "the condition: {holds: {all: [...]}}",
            )
        raise scope.fail(
            path,
            f"unknown value form with keys {', '.join(sorted(map(str, keys)))}; "
            f"known forms: {', '.join(known)}",
        )

    def fact(self, name: Any, path: Path_, *, length_only: bool = False) -> n.Value:
        scope = self.scope
        if name == "as_of":
            return n.AsOf()
        if not isinstance(name, str) or name not in scope.facts:
            known = sorted(scope.facts)
            raise scope.fail(
                path,
                f"unknown fact '{name}'{did_you_mean(str(name), known)}; this decision's facts "
                f"are: {', '.join(known) or '(none)'}",
            )
        if not length_only:
            scope.read_facts.add(name)
        return n.FactRef(name, scope.facts[name])

    def outcome(self, name: Any, path: Path_) -> n.Value:
        scope = self.scope
        if not isinstance(name, str) or name not in scope.outcomes:
            raise scope.fail(
                path, f"unknown outcome '{name}'{did_you_mean(str(name), list(scope.outcomes))}"
            )
        if name not in scope.defined_outcomes:
            raise scope.fail(path, f"outcome '{name}' is used before any rule above sets it")
        if scope.in_condition:
            scope.outcomes_in_conditions.add(scope.rule)
        return n.OutcomeRef(name, scope.outcomes[name])

    def duration(
        self, node: Any, path: Path_
    ) -> tuple[Duration | tuple[str, n.Value], frozenset[str]]:
        """A fixed duration, or (unit, whole-number value) when the amount comes from a fact;
        with the interpretation it was read from, if any."""
        scope = self.scope
        interps: frozenset[str] = frozenset()
        if isinstance(node, dict) and set(node) == {"interpretation"}:
            name = node["interpretation"]
            if not isinstance(name, str) or name not in scope.interpretations:
                raise scope.fail(path, f"unknown interpretation '{name}'")
            interps = frozenset([name])
            node = scope.interpretations[name]
        if not isinstance(node, dict):
            raise scope.fail(path, f"a duration is one of {', '.join(UNITS)} with a whole number")
        if len(node) == 1 and isinstance(next(iter(node.values())), dict):
            ((unit, amount),) = node.items()
            if unit not in UNITS:
                raise scope.fail(path, f"unknown unit '{unit}'; units: {', '.join(UNITS)}")
            value = self.value(amount, (*path, unit))
            if value.type.kind != "int":
                raise scope.fail((*path, unit), f"a duration's amount is a whole number, not "
                                 f"{value.type.describe()}")
            return (str(unit), value), interps
        try:
            return parse_duration(node), interps
        except (ValueError, TypeError) as exc:
            raise scope.fail(path, f"bad duration: {exc}") from None

    def date_shift(self, node: dict[str, Any], path: Path_) -> n.Value:
        scope = self.scope
        adding = "add" in node
        key = "add" if adding else "subtract"
        dur, interps = self.duration(node[key], (*path, key))
        base_key = "to" if adding else "from"
        base = self.value(node[base_key], (*path, base_key))
        if base.type.kind not in ("date", "datetime"):
            raise scope.fail((*path, base_key),
                             f"a duration is added to a date, not {base.type.kind}")
        unit = dur.unit if isinstance(dur, Duration) else dur[0]
        if unit in ("hours", "minutes") and base.type.kind != "datetime":
            base_text = CodeGenerator().value(base).text  # the base's wording, for the message
            raise scope.fail(
                path, f"{unit} are elapsed time and need a date-time; {base_text} is a date"
            )
        result_type = DATETIME if unit in ("hours", "minutes") else DATE
        fixed, amount = (dur, None) if isinstance(dur, Duration) else (None, dur[1])
        return n.DateShift(base, unit, 1 if adding else -1, fixed, amount, interps, result_type)

    def comparison(self, op: str, arg: Any, path: Path_) -> n.Value:
        scope = self.scope
        if not isinstance(arg, list) or len(arg) != 2:
            raise scope.fail(path, f"'{op}' takes a list of two values")
        left = self.value(arg[0], (*path, 0))
        right = self.value(arg[1], (*path, 1))
        kinds = {left.type.kind, right.type.kind}
        times = {"date", "datetime", "moment"}
        if op != "equal" and not (kinds <= times or kinds <= {"int", "any"}):
            raise scope.fail(path, f"'{op}' compares dates, date-times or numbers, not "
                             f"{' and '.join(sorted(kinds))}")
        if len(kinds) == 2 and not kinds <= times and "any" not in kinds:
            raise scope.fail(path, f"'{op}' compares values of different kinds: {sorted(kinds)}")
        return n.Comparison(op, left, right)

    def sample(self, spec: Any, path: Path_) -> n.Value:
        scope = self.scope
        if not isinstance(spec, dict) or set(spec) != {"of", "percent", "salt"}:
            raise scope.fail(path, "'sample' takes 'of', 'percent' and 'salt'")
        key = self.value(spec["of"], (*path, "of"))
        percent = spec["percent"]
        if isinstance(percent, dict) and set(percent) != {"interpretation"}:
            raise scope.fail((*path, "percent"), "'percent' is a number from 0 to 100, or "
                             "{interpretation: name} (a fixed share: not a fact)")
        interps: frozenset[str] = frozenset()
        if isinstance(percent, dict):
            ref = self.value(percent, (*path, "percent"))
            assert isinstance(ref, n.InterpretationRef)  # the only form with these keys
            percent, interps = ref.value, frozenset([ref.name])
        if not isinstance(percent, int | float) or isinstance(percent, bool) or not (
            0 <= percent <= 100
        ):
            raise scope.fail((*path, "percent"), "'percent' is a number from 0 to 100")
        if not isinstance(spec["salt"], str) or not spec["salt"]:
            raise scope.fail((*path, "salt"), "'salt' is a fixed, non-empty string")
        return n.Sample(key, percent, spec["salt"], interps)
