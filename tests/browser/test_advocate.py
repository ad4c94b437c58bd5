"""The advocate's page (SPEC §3.5, §3.6) in the browser against local mode: a shop enrols its customer with the signed
POST /v1/enrolments, prints the status token into its account page, and wom.js (from local mode's own origin) draws
that advocate's link, share buttons, figures and each referral's progress from GET /v1/advocate-status, as a real
click and signed conversions move through the rewards and metrics jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from selenium.webdriver.common.by import By

from local.send import send_signed
from shared.campaigns.status_tokens import LIFETIME, issue_status_token
from tests.browser.conftest import RECORD_WINDOW_OPEN, Browser
from tests.browser.support import gateway_requests, wait_for
from tests.e2e.support import SIGNING_SECRET, STATUS_TOKEN_KEY, Api, LocalMode, Storage, assert_error_shape, new_id
from tests.e2e.test_rewards import PAST_HOLDING, run_job, run_rewards_job

pytestmark = pytest.mark.e2e


def enrol(local_mode: LocalMode, campaign: dict, customer_id: str) -> dict:
    """What the shop's backend does for its account page (no AWS credentials, just the storefront secret)."""
    response = send_signed(local_mode.base_url, "/v1/enrolments", {"campaign_id": campaign["campaign_id"], "customer_id": customer_id}, SIGNING_SECRET)
    assert response.status_code == 201, response.text
    return response.json()


def account_page(browser: Browser, token: str) -> str:
    body = (
        '<link rel="stylesheet" href="/wom-example.css"><h1>Your referrals</h1>'
        f'<div data-wom-advocate="{token}" data-wom-channels="whatsapp,email"></div>'
    )
    return browser.shop.page("/account", body + browser.local_script_tag())


def texts(browser: Browser, selector: str) -> list[str]:
    return [element.text for element in browser.driver.find_elements(By.CSS_SELECTOR, selector)]


def drawn(browser: Browser, url: str) -> list[str]:
    """Loads the page and waits for the advocate's page to be drawn: its referrals, as shown."""
    browser.open(url)
    return wait_for(lambda: texts(browser, ".wom-referral"), message="the advocate's referrals")


def figures(browser: Browser) -> dict[str, str]:
    return dict(zip(texts(browser, ".wom-advocate__figures dt"), texts(browser, ".wom-advocate__figures dd"), strict=True))


def shown_date(at: datetime) -> str:
    return f"{at.month}/{at.day}/{at.year}"  # what toLocaleDateString() writes in en-US


def real_click(api: Api, code: str) -> str:
    """A friend follows the advocate's link (a browser's user agent, through local mode's redirect)."""
    response = api.get(f"/r/{code}")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["wom_click"][0]


def buy(local_mode: LocalMode, customer_id: str, **attribution: str) -> dict:
    payload = {"order_id": new_id("order"), "amount": 12_345, "currency": "USD", "customer_id": customer_id, **attribution}
    response = send_signed(local_mode.base_url, "/v1/conversions", payload, SIGNING_SECRET)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_advocates_page_follows_a_referral_from_a_real_click_to_rewarded(
    browser: Browser, local_mode: LocalMode, api: Api, campaign: dict, storage: Storage
):
    customer_id = new_id("advocate")
    enrolled = enrol(local_mode, campaign, customer_id)
    url = account_page(browser, enrolled["status_token"])
    browser.before_every_page(RECORD_WINDOW_OPEN)
    browser.allow_clipboard()
    sizes = local_mode.log_size()

    assert drawn(browser, url) == ["No referrals yet"]
    link = browser.driver.find_element(By.CSS_SELECTOR, ".wom-advocate__link a")
    assert (link.text, link.get_attribute("href")) == (enrolled["link"], enrolled["link"])
    assert browser.driver.find_element(By.CSS_SELECTOR, ".wom-referrals").accessible_name == "Referrals"
    # The answer's currency formats the amounts (the page names none).
    assert figures(browser) == {"Shares": "0", "Clicks": "0", "Rewards pending": "0 ($0.00)", "Rewards approved": "0 ($0.00)", "Rewards paid": "0 ($0.00)"}

    # The advocate's own buttons: each press is a share of their code in local mode's events table, the block one view.
    share_buttons = browser.driver.find_elements(By.CSS_SELECTOR, ".wom-advocate__share button")
    assert [(b.get_attribute("data-wom-channel"), b.accessible_name) for b in share_buttons] == [("whatsapp", "WhatsApp"), ("email", "Email")]
    share_buttons[1].click()
    assert browser.opened() == [[f"mailto:?subject=&body={quote(enrolled['link'], safe='')}", "_self", "noopener"]]
    copy = browser.driver.find_element(By.CSS_SELECTOR, ".wom-advocate__link button")
    assert copy.accessible_name == "Copy link"
    copy.click()
    assert browser.clipboard() == enrolled["link"]
    events = wait_for(lambda: len(storage.events(enrolled["code"])) >= 3 and storage.events(enrolled["code"]), message="the view and two shares")
    assert sorted((e["kind"], e["channel"]) for e in events) == [("share", "copy_link"), ("share", "email"), ("view", "other")]

    # A friend clicks the link and buys: the purchase shows at once.
    click_id = real_click(api, enrolled["code"])
    bought = buy(local_mode, new_id("friend"), click_id=click_id)
    assert bought["status"] == "attributed" and bought["attribution"] == {"method": "click_id", "click_id": click_id}
    today = datetime.now(UTC)
    assert drawn(browser, url) == [f"Purchased {shown_date(today)}"]
    assert [e.get_attribute("class") for e in browser.driver.find_elements(By.CSS_SELECTOR, ".wom-referral")] == ["wom-referral wom-referral--purchased"]

    # The rewards job takes it up: a reward pending (10 % of 123.45), and the metrics job counts the shares and the click.
    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(minutes=1))
    run_job(local_mode, "metrics")
    assert drawn(browser, url) == [f"Reward pending {shown_date(today)}"]
    assert figures(browser) == {"Shares": "2", "Clicks": "1", "Rewards pending": "1 ($12.34)", "Rewards approved": "0 ($0.00)", "Rewards paid": "0 ($0.00)"}

    # Past holding, the job approves it: rewarded, since the approval.
    run_rewards_job(local_mode, PAST_HOLDING)
    [rewarded] = drawn(browser, url)
    assert rewarded.startswith("Rewarded ")
    [when] = [e.get_attribute("datetime") for e in browser.driver.find_elements(By.CSS_SELECTOR, ".wom-referral time")]
    assert datetime.fromisoformat(when) - today > timedelta(days=13), "the approval's time, at the end of holding"
    assert figures(browser)["Rewards approved"] == "1 ($12.34)" and figures(browser)["Rewards pending"] == "0 ($0.00)"

    # wom.js and its advocate part came from local mode; the status was read with plain GETs (no CORS preflight).
    served = gateway_requests(local_mode, sizes)
    assert ("GET", "/v1/advocate-status") in served and not [r for r in served if r[0] == "OPTIONS"]
    assert enrolled["status_token"] not in local_mode.logs_since(sizes), "the token is a credential: never logged"


def test_a_self_referral_shows_as_ineligible_with_its_reason(browser: Browser, local_mode: LocalMode, api: Api, campaign: dict):
    customer_id = new_id("advocate")
    enrolled = enrol(local_mode, campaign, customer_id)
    assert buy(local_mode, customer_id, click_id=real_click(api, enrolled["code"]))["status"] == "self_referral"
    assert drawn(browser, account_page(browser, enrolled["status_token"])) == [f"Ineligible: self referral {shown_date(datetime.now(UTC))}"]
    assert browser.driver.find_element(By.CSS_SELECTOR, ".wom-referral").get_attribute("class") == "wom-referral wom-referral--ineligible"


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_a_tampered_or_expired_token_is_401_and_the_page_draws_nothing(browser: Browser, local_mode: LocalMode, api: Api, campaign: dict):
    enrolled = enrol(local_mode, campaign, new_id("advocate"))
    # Signed with local mode's own key, 30 days and a second ago: genuine, and expired.
    expired = issue_status_token(enrolled["advocate_id"], datetime.now(UTC) - LIFETIME - timedelta(seconds=1), STATUS_TOKEN_KEY)
    for token, code in ((_tampered(enrolled["status_token"]), "invalid_token"), (expired, "expired_token")):
        response = api.get("/v1/advocate-status", params={"token": token}, headers={"Origin": browser.shop.origin})
        assert assert_error_shape(response, 401)["code"] == code
        assert response.headers["Access-Control-Allow-Origin"] == "*", "the page's script can read why"

        browser.open(account_page(browser, token))
        block = browser.driver.find_element(By.CSS_SELECTOR, "[data-wom-advocate]")
        wait_for(lambda: "wom-advocate--error" in block.get_attribute("class"), message="the error class")
        assert block.text == "" and block.find_elements(By.CSS_SELECTOR, "*") == []
    assert api.get("/v1/advocate-status", params={"token": enrolled["status_token"]}).status_code == 200
