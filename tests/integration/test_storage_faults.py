"""SPEC §7 under storage faults: signed routes answer 503 `unavailable` with Retry-After and a retrying
storefront gets exactly one conversion; a tracking answer never waits on a hung table past its time limit,
and a redirect whose code cannot be read falls back instead of failing."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from botocore.exceptions import ClientError

from local.faults import ThrottleSome
from shared import wiring
from shared.platform.budget import BUDGETS
from shared.platform.dynamo import dynamodb_client, forget_clients
from tests.integration.test_conversion_routes import Clock, START, click_through, order, orders, post


def test_a_storefront_retrying_on_503_gets_exactly_one_conversion_each(api, advocate, aws, monkeypatch):
    monkeypatch.setenv("WOM_FUNCTION", "conversions")  # the conversions function's limits: one retry, then 503
    wiring.reset()
    clock = Clock(START)
    wiring.use_clock(clock)
    click = click_through(api, advocate["code"])
    faults = ThrottleSome(0.5, seed=7)  # what WOM_FAULTS=dynamodb=0.5 installs in local mode
    faults.install(dynamodb_client())
    unavailable = 0
    for n in range(6):
        body = order(f"order-{n}", customer=f"buyer-{n}", click_id=click)
        for _attempt in range(50):
            response = post("/v1/conversions", body, clock)
            if response["statusCode"] != 503:
                break
            unavailable += 1
            assert response["json"]["error"]["code"] == "unavailable"
            assert response["headers"]["Retry-After"] == "1"
        assert response["statusCode"] in (200, 201), response
    assert faults.injected > 0 and unavailable > 0  # the faults were met, and some answered 503
    wiring.reset()
    assert sorted(o["pk"]["S"] for o in orders(aws)) == sorted(f"ORDER#order-{n}" for n in range(6))


@pytest.fixture
def hung_endpoint(monkeypatch):
    """A TCP server that accepts connections and never answers: a hung table, as the tracking function meets it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_no_tracking_answer_waits_past_its_time_limit_on_a_hung_table(api, advocate, monkeypatch, hung_endpoint):
    api("GET", f"/r/{advocate['code']}")  # this instance knows the code now
    limit = BUDGETS["tracking"].answer_within_seconds
    assert limit is not None and limit <= 0.6 * BUDGETS["tracking"].timeout_seconds
    monkeypatch.setenv("WOM_FUNCTION", "tracking")
    monkeypatch.setenv("AWS_ENDPOINT_URL", hung_endpoint)  # DynamoDB and SQS alike: the spill goes to the log
    from shared.platform.settings import get_settings

    get_settings.cache_clear()
    forget_clients()
    known = wiring.tracking().targets
    wiring.tracking.cache_clear()
    fresh = wiring.tracking()
    fresh.targets._last_known.update(known._last_known)  # noqa: SLF001 - the same instance's memory
    requests = [
        ("GET", f"/r/{advocate['code']}", {}),
        ("GET", "/r/zzzzzzzzzz", {}),  # never known: the code lookup hangs
        ("GET", "/p.gif", {"query": {"t": "view", "c": advocate["code"]}}),
        ("POST", "/v1/events", {"body": {"events": [{"type": "share", "code": advocate["code"]}, {"type": "click", "code": advocate["code"]}]}}),
    ]
    for method, path, extra in requests:
        started = time.monotonic()
        response = api(method, path, **extra)
        took = time.monotonic() - started
        assert took < limit, (path, took)
        assert response["statusCode"] < 500, (path, response)
    # Known code: redirected to its destination; unknown to this instance: the page that tries again.
    assert api("GET", f"/r/{advocate['code']}")["statusCode"] == 302


def test_a_redirect_whose_code_cannot_be_read_goes_to_the_fallback_url(api, advocate, monkeypatch):
    monkeypatch.setenv("WOM_FALLBACK_URL", "https://shop.example.com/sorry")
    wiring.reset()

    def unavailable(model, **_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, model.name)

    dynamodb_client().meta.events.register("before-parameter-build.dynamodb", unavailable)
    response = api("GET", f"/r/{advocate['code']}")
    assert (response["statusCode"], response["headers"]["Location"]) == (302, "https://shop.example.com/sorry")
    monkeypatch.delenv("WOM_FALLBACK_URL")
    wiring.reset()
    dynamodb_client().meta.events.register("before-parameter-build.dynamodb", unavailable)
    page = api("GET", f"/r/{advocate['code']}")
    assert page["statusCode"] == 200 and page["headers"]["Refresh"] and "text/html" in page["headers"]["Content-Type"]
