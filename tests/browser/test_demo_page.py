"""`make run` prints a demo shop page that local mode serves itself: the share block and the demo advocate's page,
drawn by wom.js from local mode's own origin, working against the demo campaign."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import RECORD_WINDOW_OPEN, Browser
from tests.browser.support import wait_for
from tests.e2e.support import LocalMode, Storage

pytestmark = pytest.mark.e2e


def printed(local_mode: LocalMode, pattern: str) -> str:
    match = re.search(pattern, local_mode.stdout_path.read_text())
    assert match, f"wom run printed no line matching {pattern!r}:\n{local_mode.stdout_path.read_text()}"
    return match.group(1)


def test_the_printed_demo_page_shows_a_working_share_block_and_the_demo_advocates_page(browser: Browser, local_mode: LocalMode, storage: Storage):
    url = printed(local_mode, r"Demo shop page .*:\s+(http://\S+)")
    assert url == f"{local_mode.base_url}/demo"
    alice_link = printed(local_mode, r"\balice\s+(http://\S+/r/\S+)")
    code = alice_link.rsplit("/", 1)[1]
    browser.before_every_page(RECORD_WINDOW_OPEN)
    browser.open(url)

    share = browser.driver.find_element(By.CSS_SELECTOR, "[data-wom-share]")
    assert share.get_attribute("data-wom-share") == code
    channels = [b.get_attribute("data-wom-channel") for b in share.find_elements(By.CSS_SELECTOR, "button")]
    assert channels == ["whatsapp", "x", "facebook", "linkedin", "telegram", "messenger", "sms", "email", "copy_link"]
    link = wait_for(lambda: browser.driver.find_elements(By.CSS_SELECTOR, ".wom-advocate__link a"), message="the demo advocate's page")[0]
    assert link.get_attribute("href") == alice_link
    assert browser.driver.find_elements(By.CSS_SELECTOR, ".wom-referral"), "the referrals list is drawn"

    shares_before = [e for e in storage.events(code) if e["kind"] == "share" and e["channel"] == "telegram"]
    share.find_element(By.CSS_SELECTOR, ".wom-share--telegram").click()
    wait_for(
        lambda: len([e for e in storage.events(code) if e["kind"] == "share" and e["channel"] == "telegram"]) == len(shares_before) + 1,
        message="the demo share in the events table",
    )
    assert browser.opened()[0][0].startswith("https://t.me/share/url?url=")
