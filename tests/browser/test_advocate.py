"""The advocate's page (SPEC §3.5, §3.6): <div data-wom-advocate> drawn from an advocate-status answer.

wom does not serve GET /v1/advocate-status yet: the stand-in for wom's origin answers the SPEC's shape, with the CORS
header a cross-origin read needs, so what the script asks for, and what it draws, are both seen here.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import RECORD_WINDOW_OPEN, Browser
from tests.browser.support import Answer, Received, beacons, wait_for

pytestmark = pytest.mark.e2e

TOKEN = "v1.adv-42.1764547200.c2lnbmF0dXJl"
STATUS = {
    "code": "Adv42code",
    "shares": 7,
    "clicks": 12,
    "referrals": [
        {"status": "purchased", "at": "2026-11-28T10:00:00Z"},
        {"status": "reward_pending", "at": "2026-11-20T10:00:00Z"},
        {"status": "rewarded", "at": "2026-10-02T10:00:00Z"},
        {"status": "ineligible", "reason": "self_referral", "at": "2026-11-29T10:00:00Z"},
        {"status": "ineligible", "reason": "not_first_purchase", "at": "2026-11-30T10:00:00Z"},
    ],
    "rewards": {"pending": {"count": 1, "amount": 1250}, "approved": {"count": 0, "amount": 0}, "paid": {"count": 1, "amount": 500}},
}


def serve_status(browser: Browser) -> dict:
    status = {**STATUS, "link": f"{browser.wom.origin}/r/{STATUS['code']}"}

    def answer(request: Received) -> Answer:
        cors = {"Access-Control-Allow-Origin": request.headers.get("origin", "*"), "Vary": "Origin"}
        if request.query.get("token") != [TOKEN]:
            error = {"error": {"code": "invalid_token", "message": "the status token is not valid"}}
            return Answer(401, json.dumps(error).encode(), "application/json", cors)
        return Answer(200, json.dumps(status).encode(), "application/json", cors)

    browser.wom.route("GET", "/v1/advocate-status", answer)
    return status


def advocate_page(browser: Browser, token: str) -> str:
    body = (
        '<link rel="stylesheet" href="/wom-example.css"><h1>Your referrals</h1>'
        f'<div data-wom-advocate="{token}" data-wom-currency="USD" data-wom-channels="whatsapp,email"></div>'
    )
    return browser.shop.page("/account", body + browser.script_tag())


def texts(browser: Browser, selector: str) -> list[str]:
    return [element.text for element in browser.driver.find_elements(By.CSS_SELECTOR, selector)]


def test_the_advocate_block_shows_the_link_a_copy_button_share_buttons_and_each_referrals_progress(browser: Browser):
    status = serve_status(browser)
    browser.before_every_page(RECORD_WINDOW_OPEN)
    browser.allow_clipboard()
    browser.open(advocate_page(browser, TOKEN))
    link = wait_for(lambda: browser.driver.find_elements(By.CSS_SELECTOR, ".wom-advocate__link a"), message="the advocate block")[0]
    assert (link.text, link.get_attribute("href")) == (status["link"], status["link"])

    assert texts(browser, ".wom-referral") == [
        "Purchased 11/28/2026",
        "Reward pending 11/20/2026",
        "Rewarded 10/2/2026",
        "Ineligible: self referral 11/29/2026",
        "Ineligible: not first purchase 11/30/2026",
    ]
    assert [e.get_attribute("class") for e in browser.driver.find_elements(By.CSS_SELECTOR, ".wom-referral")] == [
        f"wom-referral wom-referral--{r['status']}" for r in STATUS["referrals"]
    ]
    assert [e.get_attribute("datetime") for e in browser.driver.find_elements(By.CSS_SELECTOR, ".wom-referral time")] == [
        r["at"] for r in STATUS["referrals"]
    ]
    assert browser.driver.find_element(By.CSS_SELECTOR, ".wom-referrals").accessible_name == "Referrals"
    assert texts(browser, ".wom-advocate__figures dt") == ["Shares", "Clicks", "Rewards pending", "Rewards approved", "Rewards paid"]
    assert texts(browser, ".wom-advocate__figures dd") == ["7", "12", "1 ($12.50)", "0 ($0.00)", "1 ($5.00)"]

    share_buttons = browser.driver.find_elements(By.CSS_SELECTOR, ".wom-advocate__share button")
    assert [(b.get_attribute("data-wom-channel"), b.accessible_name) for b in share_buttons] == [("whatsapp", "WhatsApp"), ("email", "Email")]
    share_buttons[1].click()
    assert browser.opened() == [[f"mailto:?subject=&body={quote(status['link'], safe='')}", "_self", "noopener"]]

    copy = browser.driver.find_element(By.CSS_SELECTOR, ".wom-advocate__link button")
    assert copy.accessible_name == "Copy link"
    copy.click()
    assert browser.clipboard() == status["link"]

    events = wait_for(lambda: len(beacons(browser.wom)) == 3 and beacons(browser.wom), message="the view and two shares")
    assert sorted((e["type"], e["code"], e["channel"]) for e in events) == [
        ("share", "Adv42code", "copy_link"), ("share", "Adv42code", "email"), ("view", "Adv42code", "other")
    ]
    # What the cross-origin read needed: one simple GET (no preflight), carrying the token and no cookie.
    (read,) = browser.wom.requests("/v1/advocate-status")
    assert (read.method, read.query, read.headers.get("cookie"), read.headers["origin"]) == ("GET", {"token": [TOKEN]}, None, browser.shop.origin)
    assert browser.wom.requests(method="OPTIONS") == []
    assert len(browser.wom.requests("/wom-advocate.js")) == 1


def test_a_token_wom_refuses_draws_nothing_and_marks_the_block(browser: Browser):
    serve_status(browser)
    browser.open(advocate_page(browser, "tampered"))
    block = browser.driver.find_element(By.CSS_SELECTOR, "[data-wom-advocate]")
    wait_for(lambda: "wom-advocate--error" in block.get_attribute("class"), message="the error class")
    assert block.text == "" and block.find_elements(By.CSS_SELECTOR, "*") == []
    assert beacons(browser.wom) == [], "no view of a block that shows nothing"


def test_an_advocate_with_no_referrals_yet(browser: Browser):
    empty = {**STATUS, "referrals": [], "link": "http://localhost/r/x"}
    browser.wom.route("GET", "/v1/advocate-status", lambda r: Answer(200, json.dumps(empty).encode(), "application/json", {"Access-Control-Allow-Origin": "*"}))
    browser.open(advocate_page(browser, TOKEN))
    assert wait_for(lambda: texts(browser, ".wom-referral"), message="the referrals list") == ["No referrals yet"]
