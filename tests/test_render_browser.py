"""Each bundled policy's rendered HTML in a real headless browser: it opens, no link is broken,
the quote beside each rule is that rule's quote, and each quote's link lands on its passage.

The browser is Debian's chromium with chromium-driver (``.ci/run`` installs them), driven by
selenium; nothing is downloaded. Without a browser this test fails, so that CI cannot pass it
by skipping; a developer without one may set POLICYENGINE_SKIP_BROWSER=1 to skip it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import POLICIES, SEEDS, needs_sources

from policyengine import load_policies
from policyengine.provenance import normalise
from policyengine.render import render_policy

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
POLICY_IDS = ["citizen_persistent_contact", "halton_conduct", "kingdom_relations",
              "platform_commitments"]


def _no_browser(why: str) -> None:
    if os.environ.get("POLICYENGINE_SKIP_BROWSER") == "1":
        pytest.skip(f"{why} (POLICYENGINE_SKIP_BROWSER=1)")
    pytest.fail(f"{why}: apt-get install -y chromium chromium-driver, or set "
                "POLICYENGINE_SKIP_BROWSER=1 to skip the browser tests", pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ModuleNotFoundError:
        _no_browser("selenium is not installed")
    chromium = shutil.which("chromium") or CHROMIUM
    driver_path = shutil.which("chromedriver") or CHROMEDRIVER
    if not (Path(chromium).exists() and Path(driver_path).exists()):
        _no_browser("no chromium and chromedriver found")
    profile = tempfile.mkdtemp(prefix="policyengine-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*FLAGS, f"--user-data-dir={profile}", "--window-size=1200,900"]:
        options.add_argument(flag)
    os.environ.setdefault("SE_AVOID_STATS", "true")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    policies = load_policies(POLICIES)
    out = tmp_path_factory.mktemp("rendered")
    pages: dict[str, Path] = {}
    for pid in POLICY_IDS:
        path = out / f"{pid}.html"
        path.write_text(render_policy(policies.policy(pid), "html", sources=SEEDS),
                        encoding="utf-8")
        pages[pid] = path
    return pages


# what the page shows, read in the browser
_PAGE = """
const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
const broken = links.filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1)));
const rules = {};
for (const row of document.querySelectorAll('tr.rule')) {
  rules[row.dataset.rule] = [...row.querySelectorAll('blockquote.quote')].map(q => ({
    quote: q.textContent,
    passage: q.dataset.passage,
    marked: q.dataset.passage ? [...document.querySelectorAll(
      'mark[data-q~="' + q.dataset.passage + '"]')].map(m => m.textContent).join('') : null,
    starts: q.dataset.passage ? !!document.getElementById(q.dataset.passage) : null,
  }));
}
return {title: document.title, links: links.length, broken: broken, rules: rules};
"""


@needs_sources
@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_rendered_policy_in_a_browser(browser: Any, rendered: dict[str, Path],
                                      policy_id: str) -> None:
    policy = load_policies(POLICIES).policy(policy_id)
    browser.get(rendered[policy_id].as_uri())
    page = browser.execute_script(_PAGE)
    assert page["title"] == f"{policy.meta.organisation}: {policy.meta.title}"
    assert page["links"] > 0 and page["broken"] == []
    expected = {f"{d.name}.{r.id}": r for d in policy.decisions.values() for r in d.rules}
    assert set(page["rules"]) == set(expected)
    for key, shown in page["rules"].items():
        rule = expected[key]
        # the quote beside the rule is the rule's own quote, in the rule's order
        assert [normalise(q["quote"]) for q in shown] == [normalise(c.clause)
                                                          for c in rule.citations], key
        for q in shown:
            assert q["passage"], f"{key}: a quote with no link to its passage"
            assert q["starts"], f"{key}: the passage anchor is missing"
            # the passage the link highlights reads as the quote
            assert normalise(q["marked"]) == normalise(q["quote"]), key


@needs_sources
def test_following_a_quote_link_lands_on_the_passage(browser: Any,
                                                    rendered: dict[str, Path]) -> None:
    from selenium.webdriver.common.by import By

    browser.get(rendered["halton_conduct"].as_uri())
    link = browser.find_element(By.CSS_SELECTOR, 'tr[data-rule="appeal_deadline.appeal_window"] '
                                                 "a.passage-link")
    target = link.get_attribute("href").split("#", 1)[1]
    browser.execute_script("arguments[0].scrollIntoView(); arguments[0].click();", link)
    assert browser.execute_script("return location.hash") == f"#{target}"
    landed = browser.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.top < window.innerHeight;", target)
    assert landed
    passage = browser.execute_script(
        "return [...document.querySelectorAll('mark[data-q~=\"' + arguments[0] + '\"]')]"
        ".map(m => m.textContent).join('')", target)
    assert normalise(passage).startswith("Any appeal must be submitted within 10 working days")
