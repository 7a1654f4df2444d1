"""Deterministic streams of valid case events over the bundled lifecycles, each with an id,
interleaved in time order (for the crash test and the query tests)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from .monitor_helpers import ASB, COMPLAINT, CONDUCT, CONTACT, HISTORY, SANCTION_FACTS

Step = tuple[str, dict[str, Any] | None]
CHANNELS = ["portal", "email", "letter", "website", "web_chat", "telephone"]


def script(rnd: random.Random) -> tuple[str, list[Step]]:
    kind = rnd.choice(["qr", "formal", "contact", "asb", "conduct", "history"])
    if kind == "qr":
        steps: list[Step] = [("received", {"stage": "quick_resolution"})]
        if rnd.random() < 0.5:
            return COMPLAINT, [*steps, ("resolved", None)]
        return COMPLAINT, [*steps, ("escalated", None), ("acknowledged", None),
                           ("responded", None)]
    if kind == "formal":
        return COMPLAINT, [("received", {"stage": "formal"}), ("acknowledged", None),
                           ("responded", None), ("closed", None)][: rnd.randint(1, 4)]
    if kind == "contact":
        return CONTACT, [("received", {"channel": rnd.choice(CHANNELS),
                                       "resolved_at_first_contact": False}),
                         ("acknowledged", None), ("responded", None)][: rnd.randint(1, 3)]
    if kind == "asb":
        report = rnd.choice(["hate_crime", "domestic_abuse", "anti_social_behaviour"])
        return ASB, [("reported", {"report_type": report}), ("acknowledged", None),
                     ("closed", None)][: rnd.randint(1, 3)]
    if kind == "conduct":
        return CONDUCT, [("warning_given", None), ("code_implemented", SANCTION_FACTS),
                         ("notified", None), ("appeal_lodged", None),
                         ("appeal_decided", {"outcome": "not_upheld"}),
                         ("reviewed", {"outcome": "lift"})][: rnd.randint(1, 6)]
    contacts: list[Step] = [("contact", {"channel": "telephone", "topic": "repair"})
                            for _ in range(rnd.randint(1, 6))]
    return HISTORY, [*contacts, ("review_requested", {"service_failure_outstanding": False,
                                                      "vulnerable": False})]


def stream(n_cases: int, seed: int, start: dt.datetime = dt.datetime(2026, 1, 5, 9, 0),
           days: int = 120) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    timed: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for number in range(n_cases):
        case_type, steps = script(rnd)
        at = start + dt.timedelta(minutes=rnd.randrange(days * 24 * 60))
        for index, (etype, data) in enumerate(steps):
            event: dict[str, Any] = {"case": f"case-{seed}-{number}", "type": etype,
                                     "at": at.isoformat(), "id": f"ev-{seed}-{number}-{index}"}
            if index == 0:
                event["case_type"] = case_type
            if data is not None:
                event["data"] = data
            timed.append((at, len(timed), event))
            at += dt.timedelta(hours=rnd.randint(1, 200))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [e for _, _, e in timed]
