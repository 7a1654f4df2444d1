"""policyengine: housing organisations' policies as declarative YAML rules, decided and explained.

The data flows one way: YAML text -> :mod:`~policyengine.load` (positions kept) ->
:mod:`~policyengine.schema` (structure checked) -> :mod:`~policyengine.compiler` (types checked,
decisions by :mod:`~policyengine.decision_compiler`, expressions parsed into a tree and turned into
closures by :mod:`~policyengine.expressions`) -> :mod:`~policyengine.evaluate`
(facts in, a :class:`Decision` out) -> :mod:`~policyengine.cli` (presenting it).
Working days and durations live in :mod:`~policyengine.calendars` and
:mod:`~policyengine.durations`.
"""

from __future__ import annotations

from ._version import __version__
from .calendars import NATIONS, add_working_days, is_working_day
from .decision import Decision, TraceStep
from .errors import (
    FactProblem,
    FactsError,
    PolicyEngineError,
    PolicyError,
    Problem,
    UnknownNameError,
)
from .policyset import PolicySet, load_policies
from .replay import replay  # the function; the module stays policyengine.replay in sys.modules

__all__ = [
    "NATIONS",
    "Decision",
    "FactProblem",
    "FactsError",
    "PolicyEngineError",
    "PolicyError",
    "PolicySet",
    "Problem",
    "TraceStep",
    "UnknownNameError",
    "__version__",
    "add_working_days",
    "is_working_day",
    "load_policies",
    "replay",
]
