"""Share blocks (SPEC §3.5) against local mode: real buttons, one share per press and one view per page load, in the events table."""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import quote

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import RECORD_WINDOW_OPEN, Browser
from tests.browser.support import ROOT, SETTLE_SECONDS, beacons, wait_for
from tests.e2e.support import Advocate, Api, Storage

pytestmark = pytest.mark.e2e

CHANNELS = ["whatsapp", "x", "facebook", "linkedin", "telegram", "messenger", "sms", "email", "copy_link"]
LABELS = ["WhatsApp", "X", "Facebook", "LinkedIn", "Telegram", "Messenger", "SMS", "Email", "Copy link"]
SCREENSHOT = ROOT / "docs" / "share-block.png"


def share_page(browser: Browser, code: str, blocks: int = 1, script: str | None = None) -> str:
    """A thank-you page with `blocks` share blocks; wom.js from local mode unless `script` says otherwise."""
    block = f'<div data-wom-share="{code}" data-wom-channels="{",".join(CHANNELS)}" data-wom-text="Get 10% off"></div>'
    body = '<link rel="stylesheet" href="/wom-example.css"><h1>Thanks for your order</h1>' + block * blocks
    return browser.shop.page("/thanks", body + (script or browser.local_script_tag()))


def recorded(storage: Storage, code: str, event_type: str) -> list[dict]:
    return [item for item in storage.events(code) if item["kind"] == event_type]


def test_each_channel_is_a_labelled_button_reached_by_keyboard_and_each_press_records_one_share(
    browser: Browser, storage: Storage, api: Api, advocate: Advocate
):
    browser.before_every_page(RECORD_WINDOW_OPEN)
    browser.allow_clipboard()
    browser.open(share_page(browser, advocate.code))
    buttons = browser.driver.find_elements(By.CSS_SELECTOR, "[data-wom-share] > *")
    assert [b.tag_name for b in buttons] == ["button"] * len(CHANNELS)
    assert [b.get_attribute("data-wom-channel") for b in buttons] == CHANNELS
    assert [b.accessible_name for b in buttons] == LABELS
    assert [b.get_attribute("class") for b in buttons] == [f"wom-share wom-share--{c}" for c in CHANNELS]
    assert all(b.get_attribute("type") == "button" for b in buttons)
    assert browser.js("return document.querySelectorAll('[style]').length") == 0, "no inline style"
    block = browser.driver.find_element(By.CSS_SELECTOR, "[data-wom-share]")
    assert (block.aria_role, block.accessible_name) == ("group", "Share")

    SCREENSHOT.write_bytes(block.screenshot_as_png)

    # Tab from the top of the page reaches every button in order; Enter presses the focused one.
    keyboard = ActionChains(browser.driver)
    for button in buttons:
        keyboard.send_keys(Keys.TAB).perform()
        assert browser.driver.switch_to.active_element == button
        keyboard.send_keys(Keys.ENTER).perform()
        if button.get_attribute("data-wom-channel") == "copy_link":
            assert wait_for(lambda: button.text == "Copied", message="the copy button to say Copied")

    wait_for(lambda: len(recorded(storage, advocate.code, "share")) >= len(CHANNELS), message="the shares in the events table")
    time.sleep(SETTLE_SECONDS)
    shares = recorded(storage, advocate.code, "share")
    assert Counter(item["channel"] for item in shares) == Counter(CHANNELS), "exactly one share of each channel"
    # A fresh event_id each: it names the item (its id is derived from it), so each press is an item of its own.
    assert len({item["id"] for item in shares}) == len(CHANNELS), "a fresh event_id each"
    assert not any(item.get("bot") for item in shares)

    views = recorded(storage, advocate.code, "view")
    assert [item.get("channel") for item in views] == ["other"], "one view for the block, not one per button"

    # The link is on the script's own origin: wom's.
    link = f"{browser.local}/r/{advocate.code}"
    message = quote("Get 10% off " + link, safe="")
    assert browser.opened() == [
        [f"https://wa.me/?text={message}", "_blank", "noopener"],
        [f"https://x.com/intent/tweet?text={quote('Get 10% off', safe='')}&url={quote(link, safe='')}", "_blank", "noopener"],
        [f"https://facebook.com/sharer.php?u={quote(link, safe='')}", "_blank", "noopener"],
        [f"https://linkedin.com/sharing/share-offsite/?url={quote(link, safe='')}", "_blank", "noopener"],
        [f"https://t.me/share/url?url={quote(link, safe='')}&text={quote('Get 10% off', safe='')}", "_blank", "noopener"],
        [f"fb-messenger://share/?link={quote(link, safe='')}", "_self", "noopener"],
        [f"sms:?&body={message}", "_self", "noopener"],
        [f"mailto:?subject={quote('Get 10% off', safe='')}&body={message}", "_self", "noopener"],
    ]
    assert browser.clipboard() == link
    assert wait_for(lambda: buttons[-1].text == "Copy link", message="the copy button's own label back")
    # The link the buttons share is the advocate's working referral link.
    assert api.get(f"/r/{advocate.code}").status_code == 302


def test_one_view_per_code_per_page_load_however_many_blocks_show_it(browser: Browser, storage: Storage, advocate: Advocate):
    # The script from elsewhere (a store's CDN, say) names wom's API with data-wom-api.
    url = share_page(browser, advocate.code, blocks=2, script=browser.script_tag(api=browser.local))
    for load in (1, 2):
        browser.open(url)
        wait_for(lambda: len(recorded(storage, advocate.code, "view")) >= load, message=f"the view of load {load}")
        time.sleep(SETTLE_SECONDS)
        assert len(recorded(storage, advocate.code, "view")) == load, "two blocks of one code, one view a load"


def test_a_view_waits_until_the_block_is_on_screen(browser: Browser):
    page = (
        '<div data-wom-share="Top1" data-wom-channels="email"></div><div style="height: 3000px"></div>'
        '<div id="below" data-wom-share="Below2" data-wom-channels="email"></div>' + browser.script_tag()
    )
    browser.open(browser.shop.page("/long", page))
    wait_for(lambda: beacons(browser.wom), message="the top block's view")
    assert [(e["type"], e["code"]) for e in beacons(browser.wom)] == [("view", "Top1")]
    browser.js("document.getElementById('below').scrollIntoView()")
    wait_for(lambda: len(beacons(browser.wom)) == 2, message="the lower block's view")
    assert [(e["type"], e["code"], e["channel"]) for e in beacons(browser.wom)] == [("view", "Top1", "other"), ("view", "Below2", "other")]


def test_a_share_goes_out_as_a_text_plain_beacon_to_the_scripts_own_origin(browser: Browser):
    browser.before_every_page(RECORD_WINDOW_OPEN)
    browser.open(browser.shop.page("/code", browser.script_tag()))
    browser.js("wom.share('Code9', 'whatsapp'); wom.share('Code9', 'qr')")
    requests = wait_for(lambda: len(browser.wom.requests("/v1/events", "POST")) == 2 and browser.wom.requests("/v1/events", "POST"), message="two beacons")
    assert {r.headers["content-type"] for r in requests} == {"text/plain;charset=UTF-8"}
    bodies = [r.json() for r in requests]
    assert [[set(e) for e in b["events"]] for b in bodies] == [[{"type", "code", "channel", "event_id"}]] * 2
    # Two beacons may reach the server in either order (each its own request).
    assert sorted((e["type"], e["code"], e["channel"]) for b in bodies for e in b["events"]) == [("share", "Code9", "qr"), ("share", "Code9", "whatsapp")]
    assert browser.wom.requests(method="OPTIONS") == [], "no CORS preflight"
    # The link shared is on the script's origin when the tag names no other API.
    assert browser.opened()[0][0] == "https://wa.me/?text=" + quote(f"{browser.wom.origin}/r/Code9", safe="")


def test_the_device_share_sheet_where_the_browser_has_one(browser: Browser):
    page = browser.shop.page("/native", '<div data-wom-share="Code9" data-wom-channels="native,copy_link"></div>' + browser.script_tag())
    browser.open(page)
    assert [b.get_attribute("data-wom-channel") for b in browser.driver.find_elements(By.CSS_SELECTOR, ".wom-share")] == ["copy_link"], (
        "desktop Chromium on Linux has no Web Share API: no button for it"
    )
    browser.before_every_page("window.__shared = []; navigator.share = (data) => (window.__shared.push(data), Promise.resolve());")
    browser.open(page)
    native = browser.driver.find_element(By.CSS_SELECTOR, ".wom-share--native")
    assert native.accessible_name == "Share…"
    native.click()
    assert browser.js("return window.__shared") == [{"url": f"{browser.wom.origin}/r/Code9", "text": ""}]
    shares = wait_for(lambda: [e for e in beacons(browser.wom) if e["type"] == "share"], message="the share beacon")
    assert [(e["code"], e["channel"]) for e in shares] == [("Code9", "other")]
