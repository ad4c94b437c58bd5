"""SPEC §7 from outside: local mode with `WOM_FAULTS=dynamodb=0.5` (half the functions' DynamoDB calls throttled),
200 tracking requests and 20 signed conversions retried on 503 until accepted. Afterwards every click, share and
view is stored exactly once (a repeat click's `hits` counts each request once) and there are exactly 20 orders."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.emulator import client
from local.send import send_signed
from shared.platform.event_items import read_event
from shared.platform.resources import EVENTS_TABLE, REFERRALS_TABLE, SPILL_DEAD_LETTERS, SPILL_QUEUE
from tests.e2e.conftest import _free_port, local_mode_environment, start_local_mode, stop_local_mode
from tests.e2e.support import SIGNING_SECRET, Storage

pytestmark = pytest.mark.e2e

DISTINCT_VISITORS = 60
REPEAT_VISITORS = 20  # each clicks twice within the hour: one click, two hits
VIEWS = 50
SHARES = 50
CONVERSIONS = 20
PATIENCE_SECONDS = 120


def browser(n: int) -> str:
    """A visitor: local mode sees one address, so each visitor is its own browser's user agent."""
    return f"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 visitor-{n}"


def follow_link(base_url: str, code: str, user_agent: str) -> str:
    """What a browser does with a referral link: a page that asks to try again (its Refresh) is tried again,
    until the redirect. Never a 5xx. Returns the redirect's location."""
    for _ in range(100):
        answer = requests.get(f"{base_url}/r/{code}", headers={"User-Agent": user_agent}, allow_redirects=False, timeout=10)
        assert answer.status_code < 500, answer.text
        if answer.status_code == 302:
            return answer.headers["Location"]
        assert answer.status_code == 200 and answer.headers.get("Refresh"), answer.text
        time.sleep(0.05)
    raise AssertionError("the link never redirected")


def queue_depth(endpoint_url: str, name: str) -> int:
    sqs = client("sqs", endpoint_url)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def wait_for_the_replay(endpoint_url: str) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while queue_depth(endpoint_url, SPILL_QUEUE.local_name):
        assert time.monotonic() < deadline, "the spill queue was not drained"
        time.sleep(0.5)


@pytest.fixture
def faulty_local_mode(tmp_path: Path):
    env = local_mode_environment(_free_port(), _free_port(), tmp_path / "data")
    env |= {"WOM_SIGNING_SECRET": SIGNING_SECRET, "WOM_FAULTS": "dynamodb=0.5", "WOM_REPLAY_INTERVAL": "0.5", "WOM_JOBS_INTERVAL": "3600"}
    local = start_local_mode(env, tmp_path, "--fresh")
    yield local
    stop_local_mode(local)


def test_under_injected_throttling_nothing_is_lost_and_nothing_counted_twice(faulty_local_mode):
    local = faulty_local_mode
    banner = local.stdout_path.read_text()
    assert "WOM_FAULTS: 50%" in banner
    code = re.search(r"alice\s+http://\S+/r/(\w+)", banner).group(1)

    locations = [follow_link(local.base_url, code, browser(n)) for n in range(DISTINCT_VISITORS)]
    for n in range(REPEAT_VISITORS):
        locations.append(follow_link(local.base_url, code, browser(1000 + n)))
        follow_link(local.base_url, code, browser(1000 + n))
    for n in range(VIEWS):
        pixel = requests.get(f"{local.base_url}/p.gif", params={"t": "view", "c": code, "ch": "email"}, headers={"User-Agent": browser(n)}, timeout=10)
        assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    for n in range(SHARES):
        posted = requests.post(
            f"{local.base_url}/v1/events",
            json={"events": [{"type": "share", "code": code, "channel": "whatsapp", "event_id": f"share-{n}"}]},
            headers={"User-Agent": browser(n)},
            timeout=10,
        )
        assert posted.status_code == 200, posted.text
        assert posted.json()["accepted"] == 1, posted.json()
    sent = DISTINCT_VISITORS + 2 * REPEAT_VISITORS + VIEWS + SHARES
    assert sent == 200

    unavailable = 0
    click_ids = [parse_qs(urlsplit(location).query)["wom_click"][0] for location in locations]
    for n in range(CONVERSIONS):
        payload = {"order_id": f"faulty-order-{n}", "amount": 4999, "currency": "USD", "customer_id": f"faulty-buyer-{n}", "click_id": click_ids[n]}
        for _ in range(100):
            answer = send_signed(local.base_url, "/v1/conversions", payload, SIGNING_SECRET)
            if answer.status_code != 503:
                break
            unavailable += 1
            assert answer.json()["error"]["code"] == "unavailable" and answer.headers["Retry-After"]
        assert answer.status_code in (200, 201), answer.text
    wait_for_the_replay(local.endpoint_url)

    logs = local.logs()
    assert "events spilled" in logs and "spilled events replayed" in logs  # the faults were met and replayed
    assert unavailable > 0  # and some conversions were asked to retry
    assert queue_depth(local.endpoint_url, SPILL_DEAD_LETTERS.local_name) == 0

    storage = Storage(local.endpoint_url)
    events = [read_event(item) for item in storage.items(EVENTS_TABLE.local_name)]
    kinds = Counter(event["kind"] for event in events if event.get("kind") in ("click", "share", "view"))
    assert kinds == {"click": DISTINCT_VISITORS + REPEAT_VISITORS, "share": SHARES, "view": VIEWS}
    clicks = [event for event in events if event["kind"] == "click"]
    assert sum(int(click.get("hits", 1)) for click in clicks) == DISTINCT_VISITORS + 2 * REPEAT_VISITORS
    assert sorted(set(click_ids)) == sorted(click["click_id"] for click in clicks)
    orders = [item for item in storage.items(REFERRALS_TABLE.local_name) if item["pk"].startswith("ORDER#faulty-order-")]
    assert len(orders) == CONVERSIONS
    facts = [event for event in events if event["kind"] == "conversion"]
    assert len(facts) == CONVERSIONS
