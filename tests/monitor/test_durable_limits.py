"""durable_rules' limits, enforced at load: every shape it cannot run safely is refused with a
position, and the largest shape allowed runs (in a child process, bounded in time).

Measured on durable_rules 2.0.28 (probes like the one below): a condition node with 511
children runs and 512 loops forever at full CPU (ignoring Ctrl-C), whether the children are one
transition's `when` values or 512 events; 64 alternatives matching one event run and 65 fail
with its error 303 (a fixed stack). The limits keep half: 256 and 32.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from policyengine import PolicyError
from policyengine.lifecycle import MAX_BRANCHES, MAX_MATCHING
from policyengine.policyset import compile_policy_text

from .monitor_helpers import needs_durable

HEAD = """\
policy: {id: wide, organisation: Test Org, title: Wide, version: "1", nation: england-and-wales}
sources:
  doc: {file: doc.txt, title: Doc}
decisions:
  noop:
    description: nothing
    facts: {x: {type: bool}}
    outcomes: {y: {type: bool}}
    rules:
      - {id: r, then: {y: true}, cite: {source: doc, quote: "the clause quoted"}}
lifecycles:
  wide:
    description: a wide lifecycle
    cite: {source: doc, quote: "the clause quoted"}
    opened_by: opened
    initial: s0
"""


def wide_policy(values: int, transitions: int) -> str:
    """One event whose `when` tests an enum of ``values`` values, and ``transitions``
    transitions all taking it (value v0) from the same state."""
    names = ", ".join(f"v{i}" for i in range(values))
    body = [HEAD,
            "    states: {s0: {}, s1: {}, done: {terminal: true}}\n",
            "    events:\n",
            "      opened: {}\n",
            f"      hit: {{data: {{v: {{type: enum, values: [{names}]}}}}}}\n",
            "    transitions:\n"]
    for t in range(transitions):
        chosen = names if t == 0 else f"v0, v{t % values}"  # v0: every one matches
        body.append(f"      - {{id: t{t}, event: hit, from: s0, to: s1, when: {{v: [{chosen}]}}, "
                    "cite: {source: doc, quote: the clause quoted}}\n")
    return "".join(body)


def test_a_when_past_the_branch_limit_is_refused_with_its_position() -> None:
    text = wide_policy(MAX_BRANCHES + 1, 1)
    with pytest.raises(PolicyError, match=f"more than {MAX_BRANCHES} alternatives") as info:
        compile_policy_text(text, "wide.yaml")
    problem = info.value.problems[0]
    assert problem.file == "wide.yaml"
    assert "id: t0" in text.splitlines()[problem.line - 1]


def test_too_many_rules_matching_one_event_are_refused() -> None:
    text = wide_policy(MAX_MATCHING + 1, MAX_MATCHING + 1)
    with pytest.raises(PolicyError, match=r"33 rules can match 'hit' in state 's0'") as info:
        compile_policy_text(text, "wide.yaml")
    assert "hit:" in text.splitlines()[info.value.problems[0].line - 1]


RUN = """
import sys
from policyengine.policyset import PolicySet, compile_policy_text
from policyengine.monitor import Monitor
text = sys.stdin.read()
policies = PolicySet({"wide": compile_policy_text(text, "wide.yaml")})
with Monitor(policies, engine="durable") as m:
    m.post({"case": "c", "case_type": "wide.wide", "type": "opened", "at": "2026-03-02T10:00"})
    posted = m.post({"case": "c", "type": "hit", "at": "2026-03-02T11:00",
                     "data": {"v": sys.argv[1]}})
    print(posted.transition)
"""


@needs_durable
@pytest.mark.parametrize(("values", "transitions", "value", "expected"), [
    (MAX_BRANCHES, 1, f"v{MAX_BRANCHES - 1}", "t0"),
    (MAX_MATCHING, MAX_MATCHING, "v0", "t0"),
])
def test_the_largest_shapes_allowed_run_on_durable(values: int, transitions: int, value: str,
                                                   expected: str) -> None:
    text = wide_policy(values, transitions)
    compile_policy_text(text, "wide.yaml")  # allowed
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(RUN), value], input=text,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]
