"""The explorer page in a real headless Chromium (Debian's, driven by selenium + chromedriver).

For one decision of each bundled policy the test fills the form as a person would (drop-downs,
checkboxes, date pickers, adding and removing rows of contacts), submits it, and checks the page
against ``PolicySet.decide`` on the same facts: every date outcome written out, the clause of
each rule that fired, each interpretation (marked when it needs sign-off) and the warnings.
Screenshots go to the test run's output (``$POLICYENGINE_TEST_OUTPUT``, default
``test-output/``); ``POLICYENGINE_UPDATE_SCREENSHOT=1`` also refreshes ``docs/explorer.png``.

No browser is ever downloaded. Where Chromium or chromedriver is missing the test fails, saying
so; it skips only when ``POLICYENGINE_ALLOW_NO_BROWSER=1`` is set (CI never sets it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scenario_cases import ROOT
from served import Served, serve

from policyengine import PolicySet
from policyengine.server import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
OUTPUT = Path(os.environ.get("POLICYENGINE_TEST_OUTPUT", ROOT / "test-output"))
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,2200")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _written(day: dt.date) -> str:
    """'Thursday 9 April 2026', spelt out here independently of the server's wording."""
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    return f"{DAYS[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        message = (f"no browser for the explorer test: {', '.join(missing)} not found; install "
                   "Debian's chromium and chromium-driver (apt-get install chromium "
                   "chromium-driver), as .ci/run does")
        if os.environ.get("POLICYENGINE_ALLOW_NO_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="policyengine-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(policies: PolicySet) -> Iterator[Served]:
    with serve(create_app(policies)) as served:
        yield served


def _by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def _choose(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(_by_id(driver, element_id)).select_by_value(value)


def _set_date(driver: Any, element_id: str, value: str) -> None:
    """Date pickers take typed input in the browser's locale order; set the value directly."""
    element = _by_id(driver, element_id)
    assert element.get_attribute("type") in ("date", "datetime-local")
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", element, value)
    assert element.get_attribute("value") == value


def _submit(driver: Any) -> None:
    _click(driver, "#decide")


def _click(driver: Any, css: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    driver.find_element("css selector", css).click()
    WebDriverWait(driver, 20).until(lambda d: d.find_element("tag name", "html") != old)


def _check_answer(driver: Any, policies: PolicySet, policy: str, decision: str,
                  facts: dict[str, Any], as_of: str, shot: str) -> str:
    expected = policies.decide(policy, decision, facts, as_of)
    answer = _by_id(driver, "answer")
    text = answer.text
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"explorer-{shot}.png"))
    assert f"Decided on {_written(expected.as_of)}" in text
    status = {"decided": "Decided", "needs_judgement": "Needs a person's judgement",
              "not_applicable": "Not applicable"}[expected.status]
    assert status in _by_id(driver, "answer-title").text
    dates = 0
    for key, value in expected.outcome.items():
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            row = _by_id(driver, f"outcome-{key}").text
            assert _written(value) in row, (key, row)
            dates += 1
    fired = [s for s in expected.trace if s.fired]
    assert fired
    for step in fired:
        rule_text = _by_id(driver, f"rule-{step.rule}").text
        for cite in step.citations:
            assert " ".join(cite["clause"].split()) in " ".join(rule_text.split())
            assert cite["document"] in rule_text
    assert expected.interpretations
    for interp in expected.interpretations:
        shown = _by_id(driver, f"interpretation-{interp['name']}").text
        marker = "Signed off" if interp["signed_off"] else "Needs sign-off by the policy owner"
        assert marker in shown
    for warning in expected.warnings:
        assert warning in text
    record = json.loads(_by_id(driver, "record-json").get_attribute("value"))
    assert record["decision"] == expected.to_dict()
    assert record["request"]["facts"] == facts
    return f"{dates} dates"


def test_halton_sanction(browser: Any, site: Served, policies: PolicySet) -> None:
    browser.get(f"{site.url}/explore/halton_conduct/sanction")
    facts = {"severity": "high", "prior_warning_given": True, "corrected_immediately": False,
             "channel": "telephone", "posted_on_social_media": False,
             "in_involved_groups": True, "vexatious_or_persistent": False,
             "notified_on": "2026-12-18"}
    for name, value in facts.items():
        if name == "notified_on":
            _set_date(browser, "f-notified_on", str(value))
        else:
            _choose(browser, f"f-{name}", json.dumps(value) if isinstance(value, bool)
                    else str(value))
    _set_date(browser, "as_of", "2026-12-18")
    _submit(browser)
    assert _check_answer(browser, policies, "halton_conduct", "sanction", facts, "2026-12-18",
                         "halton-sanction") == "2 dates"
    assert _by_id(browser, "warnings-title").is_displayed()  # past its review date
    if os.environ.get("POLICYENGINE_UPDATE_SCREENSHOT") == "1":
        browser.save_screenshot(str(ROOT / "docs" / "explorer.png"))


def test_platform_complaint_deadlines_with_a_datetime(browser: Any, site: Served,
                                                      policies: PolicySet) -> None:
    browser.get(f"{site.url}/explore/platform_commitments/complaint_deadlines")
    _choose(browser, "f-stage", "formal")
    _set_date(browser, "f-received_at", "2026-08-28T18:30")
    _set_date(browser, "as_of", "2026-08-28")
    _submit(browser)
    facts = {"stage": "formal", "received_at": "2026-08-28T18:30"}
    assert _check_answer(browser, policies, "platform_commitments", "complaint_deadlines",
                         facts, "2026-08-28", "platform-complaint") == "2 dates"


def test_kingdom_survey_due(browser: Any, site: Served, policies: PolicySet) -> None:
    browser.get(f"{site.url}/explore/kingdom_relations/survey_due")
    _choose(browser, "f-event", "allocation")
    _set_date(browser, "f-event_date", "2026-01-31")
    _set_date(browser, "as_of", "2026-02-01")
    _submit(browser)
    facts = {"event": "allocation", "event_date": "2026-01-31"}
    assert _check_answer(browser, policies, "kingdom_relations", "survey_due", facts,
                         "2026-02-01", "kingdom-survey") == "3 dates"


def test_citizen_contacts_rows_and_judgement(browser: Any, site: Served,
                                             policies: PolicySet) -> None:
    browser.get(f"{site.url}/explore/citizen_persistent_contact/restriction_assessment")
    # the form starts with one contact; add two more, then remove the middle one
    _click(browser, "button[value='add:f.contacts']")
    _click(browser, "button[value='add:f.contacts']")
    assert _by_id(browser, "f-contacts-2-at")
    _click(browser, "button[value='remove:f.contacts:1']")
    with pytest.raises(Exception, match="no such element"):
        _by_id(browser, "f-contacts-2-at")
    contacts = [{"at": "2026-03-02T09:15", "channel": "telephone", "topic": "repair"},
                {"at": "2026-03-03T09:20", "channel": "email", "topic": "repair"}]
    for i, contact in enumerate(contacts):
        _set_date(browser, f"f-contacts-{i}-at", contact["at"])
        _choose(browser, f"f-contacts-{i}-channel", contact["channel"])
        _by_id(browser, f"f-contacts-{i}-topic").send_keys(contact["topic"])
    _choose(browser, "f-service_failure_outstanding", "false")
    _choose(browser, "f-vulnerable", "true")
    _by_id(browser, "f-behaviours-excessive_contact").click()
    _set_date(browser, "as_of", "2026-03-10")
    _submit(browser)
    facts = {"contacts": contacts, "service_failure_outstanding": False, "vulnerable": True,
             "behaviours": ["excessive_contact"]}
    _check_answer(browser, policies, "citizen_persistent_contact", "restriction_assessment",
                  facts, "2026-03-10", "citizen-assessment")
    expected = policies.decide("citizen_persistent_contact", "restriction_assessment", facts,
                               "2026-03-10")
    text = _by_id(browser, "answer").text
    for item in expected.outcome["considerations"] + expected.outcome["requirements"]:
        assert item["text"] in text
    assert "draft" in text  # the draft policy's warning


def test_citizen_restriction_appeal_dates(browser: Any, site: Served,
                                          policies: PolicySet) -> None:
    browser.get(f"{site.url}/explore/citizen_persistent_contact/restriction_appeal")
    _set_date(browser, "f-restriction_decided_on", "2026-03-31")
    _set_date(browser, "as_of", "2026-04-01")
    _submit(browser)
    assert _check_answer(browser, policies, "citizen_persistent_contact", "restriction_appeal",
                         {"restriction_decided_on": "2026-03-31"}, "2026-04-01",
                         "citizen-appeal") == "2 dates"


def test_bad_facts_are_shown_beside_their_fields(browser: Any, site: Served) -> None:
    browser.get(f"{site.url}/explore/halton_conduct/appeal_deadline")
    _submit(browser)
    summary = browser.find_element("css selector", ".error-summary")
    assert "notification_received" in summary.text
    link = summary.find_element("css selector", "a")
    assert link.get_attribute("href").endswith("#f-notification_received")
    assert _by_id(browser, "f-notification_received").get_attribute("aria-invalid") == "true"
    label = browser.find_element("css selector", "label[for='f-notification_received']")
    assert label.text.startswith("Notification received")
