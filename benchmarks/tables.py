"""Decision tables for the benchmark: a six-rule first-hit table, the same in each peer, and a
generated 10,000-rule table.

The six-rule table routes a customer contact: which team answers it and in how many working
days, by channel and urgency. It is written once as policy YAML (what a housing officer edits),
once for ``rule-engine`` (rule strings, tested in order), once as a ZEN JSON decision model
(``zen-engine``, hit policy first) and once as a hand-written Python function: the floor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

HEADER = """\
policy:
  id: bench
  organisation: Bench
  title: Benchmark tables
  version: "1"
  issued: 2024-01-01
  nation: england-and-wales
sources:
  doc: {file: doc.txt, title: A made-up document}
"""

CHANNELS = ["email", "letter", "telephone", "portal", "web_chat", "social_media"]

#: (channel or None for any, urgent or None for any, team, days), in order: the first that holds
SIX_RULES: list[tuple[list[str] | None, bool | None, str, int]] = [
    (["telephone", "web_chat"], True, "duty", 0),
    (["telephone", "web_chat"], None, "contact_centre", 1),
    (["email", "portal"], True, "duty", 1),
    (["email", "portal"], None, "customer_service", 3),
    (["social_media"], None, "communications", 2),
    (None, None, "post_room", 10),
]

SIX_RULE_CASES = [
    {"channel": "telephone", "urgent": True},
    {"channel": "email", "urgent": False},
    {"channel": "social_media", "urgent": False},
    {"channel": "letter", "urgent": True},
]


def six_rule_policy() -> str:
    rules = []
    for i, (channels, urgent, team, days) in enumerate(SIX_RULES):
        when: dict[str, Any] = {}
        if channels is not None:
            when["channel"] = channels
        if urgent is not None:
            when["urgent"] = urgent
        rules.append(
            f"      - id: r{i}\n"
            + (f"        when: {json.dumps(when)}\n" if when else "")
            + f"        then: {{team: {team}, days: {days}}}\n"
            + f"        cite: {{source: doc, quote: \"routing rule number {i}\"}}\n"
        )
    return HEADER + (
        "decisions:\n"
        "  route:\n"
        "    description: which team answers a contact, and within how many working days\n"
        "    facts:\n"
        f"      channel: {{type: enum, values: [{', '.join(CHANNELS)}]}}\n"
        "      urgent: {type: bool}\n"
        "    outcomes: {team: {type: string}, days: {type: int}}\n"
        "    hit_policy: first\n"
        "    rules:\n" + "".join(rules)
    )


def closures() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The table as a programmer would hand-write it: the floor for any engine."""

    def route(facts: dict[str, Any]) -> dict[str, Any]:
        channel, urgent = facts["channel"], facts["urgent"]
        if channel in ("telephone", "web_chat"):
            return {"team": "duty", "days": 0} if urgent else {"team": "contact_centre", "days": 1}
        if channel in ("email", "portal"):
            return {"team": "duty", "days": 1} if urgent else {"team": "customer_service",
                                                               "days": 3}
        if channel == "social_media":
            return {"team": "communications", "days": 2}
        return {"team": "post_room", "days": 10}

    return route


def rule_engine_table() -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    try:
        import rule_engine
    except ImportError:
        return None
    compiled = []
    for channels, urgent, team, days in SIX_RULES:
        parts = []
        if channels is not None:
            parts.append("(" + " or ".join(f'channel == "{c}"' for c in channels) + ")")
        if urgent is not None:
            parts.append("urgent" if urgent else "not urgent")
        compiled.append((rule_engine.Rule(" and ".join(parts) or "true"),
                         {"team": team, "days": days}))

    def route(facts: dict[str, Any]) -> dict[str, Any]:
        for rule, result in compiled:
            if rule.matches(facts):
                return dict(result)
        raise LookupError("no rule")

    return route


def zen_table() -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    try:
        import zen
    except ImportError:
        return None
    rules = []
    for i, (channels, urgent, team, days) in enumerate(SIX_RULES):
        rules.append({
            "_id": f"r{i}",
            "channel": ", ".join(f'"{c}"' for c in channels) if channels else "",
            "urgent": "" if urgent is None else json.dumps(urgent),
            "team": f'"{team}"',
            "days": str(days),
        })
    model = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {"id": "table", "type": "decisionTableNode", "name": "route",
             "position": {"x": 1, "y": 0},
             "content": {
                 "hitPolicy": "first",
                 "inputs": [{"id": "channel", "name": "Channel", "field": "channel"},
                            {"id": "urgent", "name": "Urgent", "field": "urgent"}],
                 "outputs": [{"id": "team", "name": "Team", "field": "team"},
                             {"id": "days", "name": "Days", "field": "days"}],
                 "rules": rules}},
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}},
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
                  {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"}],
    }
    decision = zen.ZenEngine().create_decision(json.dumps(model))

    def route(facts: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = decision.evaluate(facts)["result"]
        return result

    return route


def large_policy(regions: int = 100, categories: int = 100) -> str:
    """A first-hit table with one rule per (region, category): ``regions * categories`` rules."""
    region_values = ", ".join(f"r{i}" for i in range(regions))
    category_values = ", ".join(f"c{i}" for i in range(categories))
    lines = [
        HEADER,
        "decisions:\n",
        "  band:\n",
        "    description: the charge band of a region and a category\n",
        "    facts:\n",
        f"      region: {{type: enum, values: [{region_values}]}}\n",
        f"      category: {{type: enum, values: [{category_values}]}}\n",
        "    outcomes: {band: {type: int}}\n",
        "    hit_policy: first\n",
        "    rules:\n",
    ]
    for r in range(regions):
        for c in range(categories):
            lines.append(
                f"      - {{id: r{r}_c{c}, when: {{region: r{r}, category: c{c}}}, "
                f"then: {{band: {(r * 7 + c) % 9}}}, "
                f"cite: {{source: doc, quote: \"the band table, row {r}, column {c}\"}}}}\n"
            )
    return "".join(lines)
