"""What a rendered policy shows, gathered from a compiled policy, its scenario files and its
source documents, ready for a template: plain data, every text in words."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compiler import CompiledDecision, CompiledPolicy
from ..decision import to_json_value
from ..errors import PolicyEngineError
from ..expressions import CompileError, Scope, compile_condition
from ..interpretations import InterpretationEntry, policy_interpretations
from ..load import load_yaml_file
from ..policyset import PolicySet
from ..present import type_text
from ..scenarios import ScenarioFile, run_scenario
from .sources import SourceDocument, build_source

HIT_POLICIES = {
    "first": "The rules are read in order and the first one whose conditions hold decides. If "
             "none holds, the policy has a gap for those facts, and the engine reports it as "
             "an error rather than guess.",
    "unique": "Exactly one rule may hold for any set of facts. If none holds, or two hold at "
              "once, the policy is at fault for those facts, and the engine reports it as an "
              "error.",
    "collect": "Every rule whose conditions hold adds to the answer, in order. Lists are "
               "combined; any other outcome two rules both set must agree. The strongest status "
               "wins (not applicable, then needs judgement, then decided).",
}
STATUS_WORDS = {"decided": "decided", "needs_judgement": "needs a person's judgement",
                "not_applicable": "not applicable"}


def _json(value: Any) -> str:
    return json.dumps(to_json_value(value), ensure_ascii=False)


@dataclass
class Citation:
    title: str
    document: str
    quote: str
    section: str | None
    link: str | None  # "#anchor" of the passage in the rendered source, None if not found


@dataclass
class RuleView:
    id: str
    anchor: str
    line: int
    condition: str
    sets: list[tuple[str, str]]
    status: str | None
    because: str
    exception_to: str | None
    interpretations: list[str]
    citations: list[Citation]
    considerations: list[tuple[str, Citation | None]]
    requirements: list[tuple[str, Citation | None]]


@dataclass
class Example:
    name: str
    file: str
    line: int
    as_of: str | None
    facts: list[tuple[str, str]]
    expected: list[tuple[str, str]]
    passes: bool
    failures: list[str]


@dataclass
class DecisionView:
    name: str
    anchor: str
    description: str
    hit_policy: str
    hit_policy_words: str
    facts: list[tuple[str, str, str]]  # name, type in words, description
    outcomes: list[tuple[str, str, str]]
    rules: list[RuleView]
    invariants: list[tuple[str, str, str]]  # id, description, the check in words
    examples: list[Example] = field(default_factory=list)


@dataclass
class PolicyDocument:
    """Everything a rendered policy shows."""

    id: str
    meta: Any
    file: str
    sha256: str
    rendered_on: str
    review_status: str
    decisions: list[DecisionView]
    interpretations: list[InterpretationEntry]
    signed: int
    sources: list[SourceDocument]
    sources_note: str | None
    scenario_files: list[str]
    lifecycles: list[tuple[str, str, list[str], list[str]]]

    def interpretation_value(self, entry: InterpretationEntry) -> str:
        return json.dumps(entry.note.to_dict()["value"], ensure_ascii=False)


def review_status(policy: CompiledPolicy, today: dt.date) -> str:
    meta = policy.meta
    words = {"in_force": "In force", "draft": "A draft, not an approved policy",
             "withdrawn": "Withdrawn"}[meta.status]
    if meta.status_note:
        words += f" ({meta.status_note})"
    if meta.review_due is None:
        return words + ". The document gives no review date."
    if today > meta.review_due:
        return (words + f". It was due for review by {meta.review_due.isoformat()}: on "
                f"{today.isoformat()} it is past its own review date.")
    return words + f". It is due for review by {meta.review_due.isoformat()}."


def _citations(policy: CompiledPolicy, cites: Any, docs: dict[str, SourceDocument]
               ) -> list[Citation]:
    out: list[Citation] = []
    for c in cites:
        doc = docs.get(c.document)
        passage = doc.passage(c.clause) if doc is not None else None
        link = f"#{passage.anchor}" if passage is not None and passage.found else None
        title = next((s.title for s in policy.spec.sources.values() if s.file == c.document),
                     c.document)
        out.append(Citation(title, c.document, c.clause, c.section, link))
    return out


def _rule_views(decision: CompiledDecision, docs: dict[str, SourceDocument]) -> list[RuleView]:
    views: list[RuleView] = []
    for rule in decision.rules:
        def notes(items: Any) -> list[tuple[str, Citation | None]]:
            return [(n.text, _citations(decision.policy, [n.cite], docs)[0] if n.cite else None)
                    for n in items]

        views.append(RuleView(
            id=rule.id, anchor=f"rule-{decision.name}-{rule.id}", line=rule.line,
            condition="in every case" if rule.condition.text == "always"
            else rule.condition.text,
            sets=[(key, expr.text) for key, expr in rule.then],
            status=STATUS_WORDS.get(rule.status) if rule.status else None,
            because=rule.because, exception_to=rule.exception_to,
            interpretations=list(rule.interpretations),
            citations=_citations(decision.policy, rule.citations, docs),
            considerations=notes(rule.considerations), requirements=notes(rule.requirements),
        ))
    return views


def _invariants(decision: CompiledDecision) -> list[tuple[str, str, str]]:
    policy = decision.policy
    spec = policy.spec.decisions[decision.name]
    scope = Scope(loaded=policy.loaded, facts={**decision.facts, **decision.outcomes},
                  outcomes=decision.outcomes,
                  interpretations={k: v.value for k, v in policy.interpretations.items()},
                  rule="invariant", defined_outcomes=set(decision.outcomes))

    def words(node: Any, path: tuple[Any, ...]) -> str:
        try:
            return compile_condition(node, path, scope).text
        except CompileError:
            return json.dumps(to_json_value(node), ensure_ascii=False)

    out: list[tuple[str, str, str]] = []
    for i, inv in enumerate(spec.invariants):
        base = ("decisions", decision.name, "invariants", i)
        if inv.kind == "monotone":
            check = f"as {inv.fact} rises, all else equal, {inv.outcome} never loses an item"
        elif inv.kind == "always":
            check = f"{words(inv.require, (*base, 'require'))} must hold"
        elif inv.kind == "date_on_or_after":
            check = f"{inv.outcome} is never before {inv.start}"
        elif inv.kind == "working_day":
            check = f"{inv.outcome} always falls on a working day"
        else:
            check = f"the status is always one of {', '.join(inv.statuses or [])}"
        if inv.when is not None and inv.kind != "monotone":
            check = f"whenever {words(inv.when, (*base, 'when'))}, {check}"
        out.append((inv.id, inv.description, check))
    return out


def _examples(policy: CompiledPolicy, scenario_files: list[Path]
              ) -> tuple[dict[str, list[Example]], list[str]]:
    found: dict[str, list[Example]] = {}
    used: list[str] = []
    policies = PolicySet({policy.id: policy})
    for path in scenario_files:
        try:
            loaded = load_yaml_file(path)
            spec = ScenarioFile.model_validate(loaded.data)
        except (PolicyEngineError, ValueError):
            continue
        if spec.policy != policy.id:
            continue
        used.append(str(path))
        for i, sc in enumerate(spec.scenarios):
            line = loaded.position(("scenarios", i)).line
            result = run_scenario(spec, sc, policies, str(path), line)
            expected: list[tuple[str, str]] = []
            if sc.expect is not None:
                if sc.expect.status:
                    expected.append(("status", STATUS_WORDS[sc.expect.status]))
                expected += [(k, _json(v)) for k, v in sc.expect.outcome.items()]
                expected += [(k, "not set") for k in sc.expect.absent]
                if sc.expect.fired is not None:
                    expected.append(("rules applied", ", ".join(sc.expect.fired) or "none"))
            if sc.expect_error is not None:
                err = sc.expect_error
                expected.append(("refused", f"a {err.kind} error"
                                 + (f" naming {err.fact}" if err.fact else "")))
            as_of = sc.as_of or spec.as_of
            found.setdefault(sc.decision, []).append(Example(
                sc.name, str(path), line, as_of.isoformat() if as_of else None,
                [(k, _json(v)) for k, v in sc.facts.items()], expected, result.passed,
                result.failures))
    return found, used


def scenario_files_for(policy: CompiledPolicy) -> list[Path]:
    """The scenario files beside a policy file (``scenarios/*.yaml`` next to it)."""
    folder = Path(policy.file).parent / "scenarios"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def build_document(policy: CompiledPolicy, sources_dir: Path | None,
                   scenario_files: list[Path] | None = None,
                   today: dt.date | None = None) -> PolicyDocument:
    """Gather what the rendered ``policy`` shows."""
    today = today or dt.date.today()
    quotes: dict[str, list[str]] = {}
    for _, cite in policy.all_citations:
        quotes.setdefault(cite.document, []).append(cite.clause)
    docs: dict[str, SourceDocument] = {}
    for key, source in policy.spec.sources.items():
        docs[source.file] = build_source(key, source.file, source.title,
                                         quotes.get(source.file, []), sources_dir)
    files = scenario_files if scenario_files is not None else scenario_files_for(policy)
    examples, used = _examples(policy, files)
    decisions = []
    for d in policy.decisions.values():
        dspec = policy.spec.decisions[d.name]
        decisions.append(DecisionView(
            name=d.name, anchor=f"decision-{d.name}", description=d.description,
            hit_policy=d.hit_policy, hit_policy_words=HIT_POLICIES[d.hit_policy],
            facts=[(n, type_text(vt), (dspec.facts[n].description or "")
                    if n in dspec.facts else "") for n, vt in d.facts.items()],
            outcomes=[(n, type_text(vt), (dspec.outcomes[n].description or "")
                       if n in dspec.outcomes else "") for n, vt in d.outcomes.items()],
            rules=_rule_views(d, docs), invariants=_invariants(d),
            examples=examples.get(d.name, []),
        ))
    entries = policy_interpretations(policy)
    missing = [d.file for d in docs.values() if not d.available]
    note = None
    if sources_dir is None:
        note = ("The source documents were not given (--sources DIR), so the quotes are shown "
                "without links to the passages they come from.")
    elif missing:
        note = (f"Not found in {sources_dir}: {', '.join(missing)}; quotes from them are shown "
                "without links.")
    return PolicyDocument(
        id=policy.id, meta=policy.meta, file=policy.file_name, sha256=policy.sha256,
        rendered_on=today.isoformat(), review_status=review_status(policy, today),
        decisions=decisions, interpretations=entries,
        signed=sum(e.signed_off for e in entries),
        sources=[d for d in docs.values()], sources_note=note, scenario_files=used,
        lifecycles=[(lc.case_type, lc.description, list(lc.states), list(lc.obligations))
                    for lc in policy.lifecycles.values()],
    )
