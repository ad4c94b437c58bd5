"""Landing capture and checkout forms (SPEC §3.5): the referral kept first-party, and handed to the store's backend."""

from __future__ import annotations

import json
import time
from html import escape
from urllib.parse import parse_qsl

import pytest

from tests.browser.conftest import Browser
from tests.browser.support import SETTLE_SECONDS, Answer, gateway_requests, wait_for
from tests.e2e.support import LocalMode

pytestmark = pytest.mark.e2e

CLICK, CODE = "Ab3dE.2026120109xYz-9_Q", "Ab3dE"
THIRTY_DAYS = 30 * 24 * 3600


def echo_form_posts(browser: Browser) -> None:
    """POST /echo answers with the form's fields as JSON in a <pre>: what the store's backend would receive."""

    def echo(request):
        body = json.dumps(dict(parse_qsl(request.body.decode(), keep_blank_values=True)), sort_keys=True)
        return Answer(200, f"<!doctype html><pre id=echo>{escape(body)}</pre>".encode(), "text/html")

    browser.shop.route("POST", "/echo", echo)


def echoed(browser: Browser) -> dict:
    """The fields the form posted, once the browser has navigated to the echo page."""
    found = wait_for(lambda: browser.driver.find_elements("id", "echo"), message="the form's POST to /echo")
    return json.loads(found[0].text)


def test_a_landing_keeps_the_referral_in_first_party_cookies_for_30_days_and_later_pages_know_it(browser: Browser, local_mode: LocalMode):
    # wom.js as a store includes it: from wom (local mode), a site of its own.
    sizes = local_mode.log_size()
    landing = browser.shop.page("/landing", browser.local_script_tag())
    browser.shop.page("/catalogue", browser.local_script_tag())
    url = f"{landing}?utm_source=wom&wom_ref={CODE}&wom_click={CLICK}#top"
    browser.open(url)
    set_at = time.time()
    assert browser.driver.current_url == url, "the script removed something from the URL"

    browser.open(browser.shop.origin + "/catalogue")
    assert browser.js("return [wom.clickId(), wom.referralCode()]") == [CLICK, CODE]

    cookies = {c["name"]: c for c in browser.cookies()}
    assert set(cookies) == {"wom_click", "wom_ref"}
    for name, value in (("wom_click", CLICK), ("wom_ref", CODE)):
        cookie = cookies[name]
        assert cookie["value"] == value
        assert cookie["domain"] == "127.0.0.1", "set for the shop's own host, not wom's"
        assert (cookie["sameSite"], cookie["path"], cookie["httpOnly"], cookie["session"]) == ("Lax", "/", False, False)
        assert abs(cookie["expires"] - (set_at + THIRTY_DAYS)) < 60, cookie
    assert browser.local_storage() == {"wom_click": CLICK, "wom_ref": CODE}
    # Two pages loaded the script and neither recorded anything: wom heard of neither visit (its gateway's access log
    # holds the script's GET, unless the browser's cache answered it, and nothing else).
    time.sleep(SETTLE_SECONDS)
    served = gateway_requests(local_mode, sizes)
    assert set(served) <= {("GET", "/wom.js")} and len(served) <= 2, served


def test_local_storage_still_holds_the_referral_when_the_cookies_are_gone(browser: Browser):
    browser.shop.page("/landing", browser.script_tag())
    browser.open(f"{browser.shop.origin}/landing?wom_click={CLICK}&wom_ref={CODE}")
    browser.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})  # as Safari does to script-set cookies after 7 days
    browser.open(browser.shop.origin + "/landing")
    assert browser.js("return [wom.clickId(), wom.referralCode()]") == [CLICK, CODE]


def test_a_new_landing_replaces_the_whole_referral(browser: Browser):
    browser.shop.page("/landing", browser.script_tag())
    browser.open(f"{browser.shop.origin}/landing?wom_click={CLICK}&wom_ref={CODE}")
    browser.open(f"{browser.shop.origin}/landing?wom_ref=Other7")
    browser.open(browser.shop.origin + "/landing")
    assert browser.js("return [wom.clickId(), wom.referralCode()]") == [None, "Other7"]
    assert {c["name"]: c["value"] for c in browser.cookies()} == {"wom_ref": "Other7"}


def test_values_that_are_not_wom_ids_are_not_kept(browser: Browser):
    browser.shop.page("/landing", browser.script_tag())
    browser.open(f"{browser.shop.origin}/landing?wom_click=a%3Bpath%3D%2Fx%3B&wom_ref=%3Cb%3E")
    assert browser.js("return [wom.clickId(), wom.referralCode()]") == [None, None]
    assert browser.cookies() == []


def test_a_checkout_form_posts_the_referral_as_hidden_fields(browser: Browser):
    echo_form_posts(browser)
    browser.shop.page("/landing", browser.script_tag())
    checkout = (
        '<form data-wom method="post" action="/echo"><input name="email" value="buyer@example.com">'
        '<button id="pay">Pay</button></form>' + browser.script_tag()
    )
    browser.shop.page("/checkout", checkout)
    browser.open(f"{browser.shop.origin}/landing?wom_click={CLICK}&wom_ref={CODE}")
    browser.open(browser.shop.origin + "/checkout")
    browser.driver.find_element("id", "pay").click()
    assert echoed(browser) == {"email": "buyer@example.com", "wom_click": CLICK, "wom_ref": CODE}


def test_without_a_referral_the_form_posts_only_its_own_fields(browser: Browser):
    echo_form_posts(browser)
    page = (
        '<form data-wom method="post" action="/echo" id="a"><input name="q" value="1"></form>'
        + browser.script_tag()
    )
    browser.shop.page("/checkout", page)
    browser.open(browser.shop.origin + "/checkout")
    browser.js("document.getElementById('a').requestSubmit()")
    assert echoed(browser) == {"q": "1"}
