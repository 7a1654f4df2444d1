"""policyengine.dask on a real dask.distributed cluster of several worker processes: the same
rows as decide_many in one process, the policy set travelling to the workers as its text."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policyengine
from policyengine import PolicyError

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from policyengine.dask import decide_partitions  # noqa: E402

AS_OF = dt.date(2026, 6, 6)


def _cases(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    moments = np.datetime64("2026-01-01T00:00") + rng.integers(0, 365 * 24 * 60, n).astype(
        "timedelta64[m]"
    )
    channels = ["telephone", "portal", "web_chat", "social_media", "email", "letter", "website",
                "office_visit"]
    frame = pd.DataFrame({
        "case": [f"PC-{i}" for i in range(n)],
        "channel": [channels[i % 8] for i in range(n)],
        "received_at": moments.astype("datetime64[us]"),
        "resolved_at_first_contact": rng.random(n) < 0.5,
    })
    frame.loc[7, "channel"] = "fax"  # a bad row: reported in its error column
    return frame


def _same(one: pd.DataFrame, many: pd.DataFrame) -> None:
    many = many.sort_index()
    assert list(many.columns) == list(one.columns)
    for name in one.columns:
        left, right = one[name], many[name]
        if isinstance(left.dtype, pd.CategoricalDtype) and not isinstance(
            right.dtype, pd.CategoricalDtype
        ):
            left = left.astype("string")
        assert _plain(left) == _plain(right), name


def _plain(column: pd.Series) -> list[object]:
    return [None if not isinstance(v, list | np.ndarray) and pd.isna(v) else v
            for v in column.tolist()]


def test_policy_set_pickles_as_its_files_text() -> None:
    policies = policyengine.load_policies()
    again = pickle.loads(pickle.dumps(policies))
    assert again.names == policies.names
    facts = {"notification_received": "2026-04-01"}
    assert (again.decide("halton_conduct", "appeal_deadline", facts, AS_OF).to_dict()
            == policies.decide("halton_conduct", "appeal_deadline", facts, AS_OF).to_dict())
    state = policies.__reduce__()[1][0]
    tampered = tuple((f, t + "\n# changed", sha, tsha) for f, t, sha, tsha in state)
    with pytest.raises(PolicyError, match="sha256"):
        policies.__reduce__()[0](tampered)


def test_a_crlf_policy_keeps_its_files_sha256_in_another_process(tmp_path: Path) -> None:
    """The sha256 is of the file's bytes; a policy set rebuilt from its text elsewhere must record
    the same digest, even when the bytes (CRLF line endings) differ from the text."""
    import hashlib

    source = (policyengine.policyset.BUNDLED_POLICIES / "halton_conduct.yaml").read_bytes()
    crlf = tmp_path / "halton_conduct.yaml"
    crlf.write_bytes(source.replace(b"\n", b"\r\n"))
    policies = policyengine.load_policies(crlf)
    again = pickle.loads(pickle.dumps(policies))
    facts = {"notification_received": "2026-04-01"}
    here = policies.decide("halton_conduct", "appeal_deadline", facts, AS_OF).to_dict()
    there = again.decide("halton_conduct", "appeal_deadline", facts, AS_OF).to_dict()
    digest = hashlib.sha256(crlf.read_bytes()).hexdigest()
    assert here["provenance"]["policy_sha256"] == digest
    assert there == here


def test_decide_partitions_on_a_local_cluster_of_worker_processes() -> None:
    policies = policyengine.load_policies()
    cases = _cases(3000)
    one = policies.decide_many("platform_commitments", "contact_deadlines", cases, as_of=AS_OF,
                               carry=["case"])
    frame = dd.from_pandas(cases, npartitions=6)
    lazy = decide_partitions(policies, "platform_commitments", "contact_deadlines", frame,
                             as_of=AS_OF, carry=["case"])
    assert list(lazy.columns) == list(one.columns)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        worker_dashboard_address=None,
    )
    try:
        with distributed.Client(cluster, timeout=60) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            future = client.compute(lazy)
            many = future.result(timeout=120)
            workers = client.run(lambda: __import__("os").getpid())
    finally:
        cluster.close(timeout=30)
    assert len(set(workers.values())) == 2  # two processes, not threads of this one
    _same(one, many)
    assert many.loc[7, "error_type"] == "FactsError"
    assert "fax" in many.loc[7, "error"]
