"""Run every check on every decision of a policy set and gather one :class:`VerifyReport`.

For each decision: the static checks, then the ``well_formed``, ``interpretations_earned`` and
``null_is_absent`` properties and the declared invariants over generated facts. A property failure
the static checks already report is left out (theirs has the smaller example); a tentative static
finding the generated facts refute is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..compiler import CompiledDecision
from ..errors import PolicyEngineError, PolicyError, Problem
from ..policyset import PolicySet
from .interpretations import interpretations_earned_check
from .invariants import CompiledInvariant, compile_invariants
from .properties import Property, property_seed, run_properties
from .report import DEFAULT_EFFORT, Finding, PropertyStat, VerifyReport
from .static import EXHAUSTIVE_LIMIT, StaticCheck
from .wellformed import Observed, null_is_absent_check, well_formed_check


class VerifyInputError(PolicyEngineError):
    """Bad input to ``verify`` that is not a policy problem (e.g. a bad ``--effort``)."""


#: Told after each decision is checked: (decisions done, decisions in all, "policy.decision").
Progress = Callable[[int, int, str], None]

#: How to get what the property checks need.
INSTALL_HINT = "pip install 'housing-policyengine[verify]'"


class VerifyUnavailable(PolicyEngineError):
    """hypothesis (the ``verify`` extra) is not installed."""


def _require_hypothesis() -> None:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise VerifyUnavailable(
            "policyengine verify generates facts with hypothesis, which is not installed here; "
            f"install the 'verify' extra: {INSTALL_HINT}"
        ) from None


def verify_policies(
    policies: PolicySet, *, max_examples: int = DEFAULT_EFFORT, seed: int | None = 0,
    progress: Progress | None = None,
) -> VerifyReport:
    """Run the static checks, the well-formedness property and the declared invariants.

    ``max_examples`` is the number of generated fact sets per property; ``seed`` makes the run
    reproducible (``None`` draws fresh random examples). Raises :class:`PolicyError` (with file,
    line and column) when an invariant is itself bad, e.g. names an unknown fact.
    """
    if max_examples < 1:
        raise VerifyInputError("max_examples must be at least 1")
    _require_hypothesis()
    started = time.perf_counter()
    decisions = [d for policy in policies for d in policy.decisions.values()]
    invariants: dict[tuple[str, str], list[CompiledInvariant]] = {}
    problems: list[Problem] = []
    for d in decisions:
        compiled, found = compile_invariants(d)
        invariants[(d.policy.id, d.name)] = compiled
        problems.extend(found)
    if problems:
        raise PolicyError(problems)
    report = VerifyReport(max_examples=max_examples, seed=seed,
                          policies=tuple(p.id for p in policies))
    budget = min(EXHAUSTIVE_LIMIT, max(2_000, 25 * max_examples))
    for done, d in enumerate(decisions, start=1):
        _verify_decision(d, invariants[(d.policy.id, d.name)], report, max_examples, seed,
                         budget)
        if progress is not None:
            progress(done, len(decisions), f"{d.policy.id}.{d.name}")
    report.elapsed = time.perf_counter() - started
    return report


def _verify_decision(
    decision: CompiledDecision,
    invariants: list[CompiledInvariant],
    report: VerifyReport,
    max_examples: int,
    seed: int | None,
    budget: int,
) -> None:
    """Check one decision, adding its stats and findings to ``report``."""
    policy = decision.policy
    static = StaticCheck(decision, budget, seed).run()
    report.static.append(static.stat)
    observed = Observed(pairs=tuple(
        (t.refute[1], t.refute[2]) for t in static.tentative if t.refute[0] == "differ"))
    properties = [Property("well_formed", "well_formed", decision.line,
                           well_formed_check(decision, observed)),
                  Property("interpretations_earned", "interpretations_earned", decision.line,
                           interpretations_earned_check(decision))]
    if any(vt.optional for vt in decision.facts.values()):
        properties.append(Property("null_is_absent", "null_is_absent", decision.line,
                                   null_is_absent_check(decision)))
    properties += [Property(inv.id, inv.kind, inv.line, inv.check, inv.description)
                   for inv in invariants]
    runs = run_properties(decision, properties, max_examples,
                          property_seed(seed, policy.id, decision.name), static.examples)
    static_kinds = {f.kind for f in static.findings}
    findings: list[Finding] = []
    for prop in properties:
        run = runs[prop.name]
        report.properties.append(PropertyStat(
            policy.id, decision.name, prop.name, prop.kind, run.tried, run.checked,
            run.rejected, run.failure is None))
        if run.failure is None:
            continue
        facts, as_of, verdict = run.failure
        same = verdict.kind
        if verdict.kind == "policy_error":
            same = "gap" if "no rule applies" in verdict.message else "overlap"
        if same in static_kinds:
            continue  # the static checks already report it, with a smaller example
        message = verdict.message
        if prop.description:
            message = (f"invariant '{prop.name}' ({prop.description.strip().rstrip('.')}) "
                       f"fails: {message}")
        findings.append(Finding(
            kind=verdict.kind,
            policy=policy.id,
            file=policy.file,
            line=prop.line,
            decision=decision.name,
            rules=verdict.rules,
            message=message,
            facts=facts,
            as_of=as_of.isoformat(),
            check=prop.name,
        ))
    kept = list(static.findings)
    for t in static.tentative:
        what, a, b = t.refute
        refuted = ((what == "matched" and a in observed.matched)
                   or (what == "chosen" and a in observed.chosen)
                   or (what == "differ" and (a, b) in observed.differ))
        if not refuted:
            kept.append(t.finding)
    kept.sort(key=lambda f: f.line)
    report.findings.extend(kept)
    report.findings.extend(findings)
