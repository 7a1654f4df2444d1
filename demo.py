"""A demonstration a person can read: one worked case per organisation, explained.

Run with `./dev demo` (or `python demo.py`) after `./dev setup`.
"""

from __future__ import annotations

import json
from pathlib import Path

import policyengine
from policyengine.present import explain_text

EVENTS = Path(__file__).resolve().parent / "examples" / "events.jsonl"

CASES = [
    (
        "Halton Housing: a customer swore at staff on the phone again after a first warning "
        "and is an involved customer; the decision letter goes out on 18 December 2026.",
        "halton_conduct", "sanction",
        {"severity": "high", "prior_warning_given": True, "corrected_immediately": False,
         "channel": "telephone", "posted_on_social_media": False, "in_involved_groups": True,
         "vexatious_or_persistent": False, "notified_on": "2026-12-18"},
        "2026-12-18",
    ),
    (
        "Platform Housing Group: a formal complaint arrives by email at 18:30 on the Friday "
        "before the August bank holiday.",
        "platform_commitments", "complaint_deadlines",
        {"stage": "formal", "received_at": "2026-08-28T18:30:00"},
        "2026-08-28",
    ),
    (
        "Kingdom Housing Association (Scotland): a new tenancy was allocated on 31 January 2026; "
        "when is the post-allocation survey due?",
        "kingdom_relations", "survey_due",
        {"event": "allocation", "event_date": "2026-01-31"},
        "2026-02-01",
    ),
    (
        "Citizen: a vulnerable customer has contacted us nine times in a week about the same "
        "repair; we have not fallen short of our service standards.",
        "citizen_persistent_contact", "restriction_assessment",
        {"contacts": [{"at": f"2026-11-{day:02d}T10:00:00", "channel": "telephone",
                       "topic": "repair"} for day in range(16, 25)],
         "service_failure_outstanding": False, "vulnerable": True, "behaviours": []},
        "2026-11-25",
    ),
]


def main() -> None:
    policies = policyengine.load_policies()
    print(f"Loaded {len(policies)} policies: {', '.join(policies.names)}\n")
    for caption, policy, decision, facts, as_of in CASES:
        print("=" * 96)
        print(caption)
        print(f"$ policyengine explain {policy} {decision} --as-of {as_of} --facts - <<< "
              f"'{json.dumps(facts)[:60]}...'")
        print("-" * 96)
        try:
            result = policies.decide(policy, decision, facts, as_of, full_trace=True)
        except policyengine.PolicyEngineError as exc:
            print(f"error: {exc}")
            continue
        print(explain_text(result, policies.policy(policy)))

    print("=" * 96)
    print("Following cases over time: a Halton conduct case and a Platform complaint, replayed")
    print("from examples/events.jsonl and looked at on 20 January 2027.")
    print("$ policyengine monitor examples/events.jsonl --as-of 2027-01-20")
    print("-" * 96)
    from policyengine.cli import main as cli

    cli(["monitor", str(EVENTS), "--as-of", "2027-01-20"])


if __name__ == "__main__":
    main()
