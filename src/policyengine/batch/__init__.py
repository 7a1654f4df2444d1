"""Columnar decisions: a whole table of cases decided at once (``PolicySet.decide_many``).

Install the ``batch`` extra (numpy, pandas, pyarrow). A decision's own YAML structures are
compiled into column operations (:mod:`.compile`, :mod:`.ops`): conditions become boolean
masks, the hit policy a selection among them, working days ``numpy.busday_offset`` on the
policy's calendar (:mod:`.workdays`), months vectorised clamping, date-times London wall clock
and UTC microseconds (:mod:`.london`). Rows the vectorised path cannot vouch for (a bad fact, a
gap in the policy, a date out of range) are decided one by one with ``decide``, so their
results and errors are the scalar path's own; a decision with a form the vectoriser does not
handle is decided row by row throughout, and the result says so (``fallback_reason`` in its
metadata, :func:`plan_info`, and an INFO line on the ``policyengine.batch`` logger).

The result is a pandas DataFrame for a DataFrame or a list of mappings (metadata in
``df.attrs["policyengine"]``), a pyarrow Table for a pyarrow Table (metadata as JSON under the
schema's ``policyengine`` key); its columns are described in :mod:`.output`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import PlanInfo, decide_many, plan_info

__all__ = ["PlanInfo", "decide_many", "plan_info"]


def __getattr__(name: str) -> Any:
    # numpy, pandas and pyarrow load only when a batch function is first used, so that the
    # command line (which registers decide-many from batch.cli) starts without them
    if name in __all__:
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
