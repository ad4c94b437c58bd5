"""Consent and Global Privacy Control (SPEC §3.5): what the script stores, and what it sends, before and after."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import RECORD_WINDOW_OPEN, Browser
from tests.browser.support import SETTLE_SECONDS, beacons, wait_for

pytestmark = pytest.mark.e2e

CLICK, CODE = "Ab3dE.2026120109xYz", "Ab3dE"
GPC_ON = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });"


def page(browser: Browser, consent: str | None = None) -> str:
    body = (
        '<div data-wom-share="Code9" data-wom-channels="email,sms"></div><div data-wom-advocate="token-1"></div>'
        '<form data-wom action="/echo" method="post"></form>'
    )
    return browser.shop.page("/page", body + browser.script_tag(consent=consent))


def sent_to_wom(browser: Browser) -> list[tuple[str, str]]:
    """Every request wom's origin received other than for the script itself."""
    return [(r.method, r.path) for r in browser.wom.received if r.path != "/wom.js"]


def press(browser: Browser, channel: str) -> None:
    browser.driver.find_element(By.CSS_SELECTOR, f".wom-share--{channel}").click()


def test_with_consent_required_nothing_is_stored_or_sent_until_consent_and_refusing_clears_it(browser: Browser):
    browser.before_every_page(RECORD_WINDOW_OPEN)
    url = page(browser, consent="required")
    browser.open(f"{url}?wom_click={CLICK}&wom_ref={CODE}")
    press(browser, "email")  # the share page still opens; nothing is recorded
    assert browser.opened()[0][0].startswith("mailto:")
    time.sleep(SETTLE_SECONDS)
    assert (browser.cookies(), browser.local_storage(), sent_to_wom(browser)) == ([], {}, [])
    assert browser.js("return wom.clickId()") == CLICK, "the page's own memory still knows the landing"

    browser.js("wom.consent(true)")
    assert {c["name"]: c["value"] for c in browser.cookies()} == {"wom_click": CLICK, "wom_ref": CODE}
    assert browser.local_storage() == {"wom_click": CLICK, "wom_ref": CODE}
    press(browser, "sms")
    # The press before consent never went out; the view and the advocate's status wait for consent, then go.
    wait_for(lambda: len(beacons(browser.wom)) == 2, message="the view and the share after consent")
    assert sorted((e["type"], e["channel"]) for e in beacons(browser.wom)) == [("share", "sms"), ("view", "other")]
    assert ("GET", "/v1/advocate-status") in sent_to_wom(browser)

    browser.js("wom.consent(false)")
    assert (browser.cookies(), browser.local_storage()) == ([], {})
    assert browser.js("return [wom.clickId(), wom.referralCode()]") == [None, None]
    before = len(sent_to_wom(browser))
    press(browser, "email")
    browser.open(url)  # a later page of a visitor who refused (the store calls nothing): nothing known, nothing sent
    assert browser.js("return wom.clickId()") is None
    time.sleep(SETTLE_SECONDS)
    assert len(sent_to_wom(browser)) == before


def test_under_global_privacy_control_nothing_reaches_cookies_or_local_storage(browser: Browser):
    browser.before_every_page(GPC_ON)
    url = page(browser)
    browser.open(f"{url}?wom_click={CLICK}&wom_ref={CODE}")
    assert browser.js("return navigator.globalPrivacyControl") is True
    assert browser.js("return [wom.clickId(), wom.referralCode()]") == [CLICK, CODE], "kept in the page's memory"
    assert browser.js("return [...document.querySelectorAll('form input')].map(i => [i.name, i.value])") == [
        ["wom_click", CLICK], ["wom_ref", CODE]
    ], "this page's checkout still carries it"
    assert (browser.cookies(), browser.local_storage()) == ([], {})
    browser.open(url)
    assert browser.js("return wom.clickId()") is None, "memory only: the next page does not know it"
    assert (browser.cookies(), browser.local_storage()) == ([], {})
