"""`wom simulate`'s plan (pure: the requests a seed lays out) and how it stops on an unexpected answer."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from local.cli import build_parser
from local.simulate import KIND_LABELS, Simulation, SimulationError, SimulationPlan, SimulationResult, Step, plan_traffic, simulate
from shared.tracking.bots import is_bot

PURCHASES = ("referred_purchase", "code_purchase", "repeat_purchase", "self_referral", "unattributed_purchase")
# Shown by every run, however small, so a short demo exercises every rule.
ALWAYS = {
    "enrolment", "share_batch", "share_batch_retry", "click", "repeat_click", "bot_preview", "link_check",
    "referred_purchase", "repeat_purchase", "self_referral", "unattributed_purchase", "refund",
}


def plan(seed: int = 1, advocates: int = 4, friends: int = 5, tag: str = "t1") -> list[Step]:
    return plan_traffic(SimulationPlan(advocates, friends, seed, tag))


def test_the_same_seed_and_tag_plan_the_same_requests_and_another_seed_does_not():
    assert plan(seed=3) == plan(seed=3)
    assert plan(seed=3) != plan(seed=4)


def test_a_new_run_tag_keeps_the_shape_but_makes_every_id_new():
    first, second = plan(tag="aaa"), plan(tag="bbb")
    assert [s.kind for s in first] == [s.kind for s in second]
    ids = lambda steps: {s.payload.get("order_id") for s in steps if s.kind in PURCHASES} | {  # noqa: E731
        e["event_id"] for s in steps for e in s.events
    }
    assert ids(first).isdisjoint(ids(second))
    # New visitors too: a rerun within the hour must not be folded into the first run's clicks.
    agents = lambda steps: {s.user_agent for s in steps if s.kind == "click"}  # noqa: E731
    assert agents(first).isdisjoint(agents(second))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("advocates", "friends"), [(1, 1), (3, 4), (10, 6)])
def test_every_behaviour_shows_up_even_in_a_small_run(seed, advocates, friends):
    kinds = Counter(step.kind for step in plan(seed, advocates, friends))
    assert ALWAYS <= set(kinds)
    assert kinds["enrolment"] == advocates
    assert kinds["click"] == advocates * friends
    assert set(kinds) <= set(KIND_LABELS)


@pytest.mark.parametrize("seed", range(8))
def test_purchases_refunds_and_clicks_come_in_an_order_the_api_accepts(seed):
    steps = plan(seed, advocates=6, friends=5)
    clicked: set[str] = set()
    orders: dict[str, dict] = {}
    first_buyers: set[str] = set()
    enrolled: set[int] = set()
    for step in steps:
        if step.advocate is not None and step.kind != "enrolment":
            assert step.advocate in enrolled, "a code is used before its advocate is enrolled"
        if step.kind == "enrolment":
            enrolled.add(step.advocate)
        elif step.kind == "click":
            clicked.add(step.buyer)
        elif step.kind in ("referred_purchase", "repeat_purchase"):
            assert step.buyer in clicked, "a purchase must carry the click id of an earlier redirect"
            assert step.payload["customer_id"] == step.buyer
            if step.kind == "repeat_purchase":
                assert step.buyer in first_buyers, "a repeat purchase follows the same friend's first one"
            first_buyers.add(step.buyer)
        elif step.kind == "refund":
            order = orders[step.payload["order_id"]]
            assert 0 < step.payload["amount"] <= order["amount"]
        if step.kind in PURCHASES:
            assert step.payload["order_id"] not in orders, "order ids are unique"
            orders[step.payload["order_id"]] = step.payload
    assert all(order["amount"] > 0 and order["currency"] == "USD" for order in orders.values())


def test_self_referrals_are_the_advocate_buying_and_everything_else_is_someone_else():
    steps = plan(seed=2, advocates=5, friends=3)
    advocates = {step.advocate: step.payload["customer_id"] for step in steps if step.kind == "enrolment"}
    for step in steps:
        if step.kind == "self_referral":
            assert step.payload["customer_id"] == advocates[step.advocate]
        elif step.kind in PURCHASES:
            assert step.payload["customer_id"] not in advocates.values()


def test_friends_browse_as_distinct_people_and_previews_come_from_bots_wom_recognises():
    steps = plan(seed=5, advocates=6, friends=6)
    click_agents = [s.user_agent for s in steps if s.kind == "click"]
    assert len(set(click_agents)) == len(click_agents)
    assert not any(is_bot(s.user_agent) for s in steps if s.kind in ("click", "repeat_click", "link_check", "email_open", "share_batch", "pixel_share"))
    assert all(is_bot(s.user_agent) for s in steps if s.kind == "bot_preview")
    by_friend = {s.buyer: s.user_agent for s in steps if s.kind == "click"}
    assert all(by_friend[s.buyer] == s.user_agent for s in steps if s.kind == "repeat_click"), "a repeat is the same browser"


def test_the_plan_refuses_an_empty_programme():
    with pytest.raises(ValueError):
        plan(advocates=0)


def test_the_command_line_takes_the_options_with_their_defaults():
    args = build_parser().parse_args(["simulate", "--api-url", "http://x", "--campaign", "spring", "--advocates", "3", "--seed", "9"])
    assert (args.handler, args.api_url, args.campaign, args.advocates, args.friends_per_advocate, args.seed) == (simulate, "http://x", "spring", 3, 6, 9)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["simulate", "--advocates", "0"])


# --- answers it did not expect -------------------------------------------------------------------------


def answer(status: int, body: bytes = b"{}", method: str = "GET", url: str = "http://wom.test/p.gif") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.url = url
    response.request = requests.Request(method, url).prepare()
    return response


class FakeSession:
    def __init__(self, response: requests.Response) -> None:
        self.response = response

    def get(self, *args, **kwargs):
        return self.response

    def post(self, *args, **kwargs):
        return self.response

    def request(self, *args, **kwargs):
        return self.response


def simulation(response: requests.Response) -> Simulation:
    sim = Simulation("http://wom.test", "spring", "token", "secret", session=FakeSession(response))  # type: ignore[arg-type]
    sim.codes[0] = "abcdefghjk"
    return sim


def test_a_server_error_stops_the_run_and_says_it_is_a_defect():
    body = b'{"error": {"code": "internal_error", "message": "the function failed"}}'
    with pytest.raises(SimulationError, match=r"GET /p.gif answered 500 \(internal_error: the function failed\).*defect"):
        simulation(answer(500, body)).send(Step("email_open", advocate=0, user_agent="Mozilla/5.0", query={"t": "view"}), SimulationResult())


def test_a_rejected_event_stops_the_run():
    body = b'{"accepted": 0, "rejected": [{"index": 0, "error": {"code": "unknown_code", "message": "no"}}]}'
    step = Step("share_batch", advocate=0, user_agent="Mozilla/5.0", events=({"type": "share", "code": "", "channel": "sms"},))
    with pytest.raises(SimulationError, match="rejected 1 of 1 events"):
        simulation(answer(200, body, "POST", "http://wom.test/v1/events")).send(step, SimulationResult())


def test_a_wrong_admin_token_and_a_missing_campaign_are_explained():
    with pytest.raises(SimulationError, match="WOM_ADMIN_TOKEN"):
        simulation(answer(401, url="http://wom.test/v1/campaigns/spring")).campaign()
    with pytest.raises(SimulationError, match="there is no campaign 'spring'"):
        simulation(answer(404, url="http://wom.test/v1/campaigns/spring")).campaign()


def test_a_redirect_is_expected_and_counted():
    redirect = answer(302, b"", url="http://wom.test/r/abcdefghjk")
    redirect.headers["Location"] = "https://shop.example.com/?wom_ref=abcdefghjk&wom_click=c1"
    sim, result = simulation(redirect), SimulationResult()
    sim.send(Step("click", advocate=0, user_agent="Mozilla/5.0", buyer="friend-1"), result)
    assert sim.click_ids == {"friend-1": "c1"}
    assert result.sent == Counter({"click": 1})
    with pytest.raises(SimulationError, match="answered 404"):
        simulation(answer(404, url="http://wom.test/r/abcdefghjk")).send(Step("click", advocate=0, user_agent="x", buyer="f"), SimulationResult())


def test_a_history_has_each_day_s_traffic_returning_referred_customers_and_survey_answers():
    from local.simulate import plan_history

    days = plan_history(SimulationPlan(advocates=4, friends_per_advocate=3, seed=5, run_tag="h"), 12)
    assert len(days) == 12
    assert sum(step.kind == "enrolment" for step in days[0]) == 4 and not any(step.kind == "enrolment" for day in days[1:] for step in day)
    returning = [step for day in days for step in day if step.kind == "returning_purchase"]
    referred_before = {step.payload["customer_id"] for day in days for step in day if step.kind in ("referred_purchase", "code_purchase")}
    assert returning and {step.payload["customer_id"] for step in returning} <= referred_before
    answers = {step.payload.get("heard_from") for day in days for step in day if "heard_from" in step.payload}
    assert {"friend_or_family", "search"} <= answers
    order_ids = [step.payload["order_id"] for day in days for step in day if "order_id" in step.payload and step.kind != "refund"]
    assert len(order_ids) == len(set(order_ids)), "every day's orders are new orders"
    assert plan_history(SimulationPlan(4, 3, 5, "h"), 12) == days, "the same plan gives the same history"
