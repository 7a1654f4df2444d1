"""The impact of a change to a policy, before it ships (``policyengine diff``).

Two versions of a policy file (two files, or one file at two git revisions) are compared:

* :mod:`.structure`: decisions, facts, enum values, outcomes, rules and interpretations added,
  removed or renamed, and metadata and calendar changes;
* :mod:`.answers`: every decision in both versions run over the verification fact space of both
  (every enum and boolean combination with representative dates, exhaustively or sampled) plus
  generated facts, and the answers that change grouped, counted and explained with an example
  and the rules responsible;
* :mod:`.report`: :func:`diff_policies` and the report as text and JSON;
* :mod:`.cli`: the ``policyengine diff`` subcommand.
"""

from .cli import add_cli
from .report import PolicyDiff, diff_policies

__all__ = ["PolicyDiff", "add_cli", "diff_policies"]
