"""Verify policies: static checks of every decision's rules, and property-based checks.

``verify`` needs no code per policy. For each decision it:

1. **Static checks.** Enumerates the finite part of the decision's fact space (enum values,
   booleans, and the presence or absence of optional facts), exhaustively when the product is
   small (at most :data:`EXHAUSTIVE_LIMIT` combinations) and otherwise as a large deterministic
   sample, with dates, date-times, numbers, strings, lists and records filled with a few
   representative values (including the literals the policy's own conditions compare against).
   Every rule's compiled condition is evaluated on each combination, exceptions are applied as
   :mod:`~policyengine.evaluate` applies them, and it reports:

   * ``gap``: under ``first`` or ``unique``, facts that no rule answers (under ``collect``: facts
     for which no rule sets anything, so the decision would be "decided" with no outcome);
   * ``overlap``: under ``unique``, two rules that both apply; under ``collect``, two rules that
     both apply and set the same single-valued outcome to different values;
   * ``masked``: a rule that never fires because earlier rules (under ``first``) or its
     exceptions always take its cases; ``never_applies``: a rule whose condition never holds;
   * ``duplicate``: two rules with the same condition (truth table) and the same ``then``;
   * ``facts_error``: a rule whose ``then`` needs an optional fact the facts may leave out;
   * ``empty_outcome``: a chosen rule that leaves a "decided" decision with no outcome.

2. **Property checks** with hypothesis, from strategies built from each decision's declared fact
   types: every decision, run on generated facts and ``as_of`` dates, must raise nothing but a
   :class:`~policyengine.errors.FactsError` for facts its schema or ``fact_checks`` reject, and
   must return a well-formed :class:`~policyengine.decision.Decision` (kinds ``crash``,
   ``facts_error``, ``policy_error``, ``malformed``). An optional fact given as JSON ``null``
   (which the schema accepts) must decide as if it were left out (kind ``null_fact``).

3. **Invariants** declared under a decision's ``invariants``, checked over generated facts (kind
   ``invariant``):

   * ``monotone`` (``fact``, ``outcome``): raising the ordered enum ``fact`` one step, all else
     equal, never drops an item from the list ``outcome``;
   * ``always`` (``when``, ``require``): conditions over the facts and outcomes;
   * ``date_on_or_after`` (``outcome``, ``start``): the outcome is not before ``start`` (a date
     fact, a date outcome or ``as_of``), comparing London dates;
   * ``working_day`` (``outcome``): the outcome falls on a working day of the policy's calendar;
   * ``status_in`` (``statuses``): the decision's status is one of these.

   Every kind but ``monotone`` may have a ``when`` condition limiting where it applies. A bad
   invariant (an unknown name, a fact that is not ordered, ...) is a :class:`PolicyError` with
   its file, line and column.

Every finding names the file, line, decision and rules, with an example fact set as JSON that can
be pasted into ``policyengine decide POLICY DECISION --facts - --as-of DATE``; a failing property
gives hypothesis's shrunk counter-example.

Static findings that depend on representative values (``never_applies``, ``masked``,
``duplicate``) are dropped when the generated facts of the property checks show them false.

The package, one job a module:

* :mod:`.report`: findings, coverage stats and the report as text and JSON;
* :mod:`.space`: the representative fact values of a decision (its fact space);
* :mod:`.evaluation`: the engine's evaluation steps taken one at a time;
* :mod:`.static`: the static checks;
* :mod:`.properties`: hypothesis strategies, generated cases and the property runner;
* :mod:`.wellformed`: the built-in properties (``well_formed``, ``null_is_absent``);
* :mod:`.invariants`: compiling and checking declared invariants;
* :mod:`.run`: :func:`verify_policies`, every check on every decision into one report;
* :mod:`.cli`: the ``policyengine verify`` subcommand.
"""

from .cli import add_cli
from .cli import cmd_verify as cmd_verify
from .properties import case_strategy
from .report import DEFAULT_EFFORT, Finding, PropertyStat, StaticStat, VerifyReport
from .run import VerifyInputError as VerifyInputError
from .run import verify_policies
from .static import EXHAUSTIVE_LIMIT

__all__ = [
    "DEFAULT_EFFORT",
    "EXHAUSTIVE_LIMIT",
    "Finding",
    "PropertyStat",
    "StaticStat",
    "VerifyReport",
    "add_cli",
    "verify_policies",
]

#: The generated facts and ``as_of`` of a decision's property checks (the tests draw from it).
_case_strategy = case_strategy
