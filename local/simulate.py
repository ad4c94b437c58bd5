"""`wom simulate`: realistic referral traffic through the HTTP API, as browsers and a storefront would send it.

Two halves. `plan_traffic` is pure: from a seed (and a run tag that keeps ids unique between runs) it lays out
every request a small referral programme would see: advocates enrolled, shares over several channels (the
events API with an `event_id`, retried now and then, and the pixel), email opens, friends following links with
browser user agents (some twice within the hour, some link-preview bots first, a `HEAD` now and then), friends
buying with the `wom_click` of their redirect, a repeat purchase, a code typed at checkout, an advocate buying
through their own link, purchases nobody referred, and a refund or two. `Simulation` then sends the plan, one
request at a time, with a progress bar, and stops at the first answer it did not expect.

The local gateway takes the visitor's address from the connection (never from a forwarded header), so every
simulated friend has a user agent of their own: that is what makes them distinct visitors.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import requests
from tqdm import tqdm

from local.arguments import whole_number
from local.send import send_signed
from local.settings import local_settings

SHARE_CHANNELS = ("whatsapp", "email", "facebook", "x", "sms", "linkedin", "messenger", "telegram", "copy_link", "qr")
# Shares a browser widget reports through the pixel rather than the events API.
PIXEL_SHARE_CHANNELS = ("copy_link", "qr", "email")
PRICES = (1499, 2499, 3499, 4999, 6999, 8999, 12999, 19999)
LINK_PREVIEW_BOTS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
)
# {n} makes each simulated person's browser a distinct visitor (the same address, a different user agent).
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.{n}.127 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.{n} (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.{n}.122 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.{n} (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0.{n}",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.{n}.87",
)

Kind = Literal[
    "enrolment",
    "share_batch",
    "share_batch_retry",
    "pixel_share",
    "email_open",
    "click",
    "repeat_click",
    "bot_preview",
    "link_check",
    "referred_purchase",
    "code_purchase",
    "repeat_purchase",
    "self_referral",
    "unattributed_purchase",
    "returning_purchase",
    "refund",
]

# How the summary names each kind of request, in the order it lists them.
KIND_LABELS: dict[str, str] = {
    "enrolment": "advocates enrolled (POST /v1/campaigns/{id}/advocates)",
    "share_batch": "share batches (POST /v1/events, with event_id)",
    "share_batch_retry": "share batches retried (same event_id, recorded once)",
    "pixel_share": "shares through the pixel (GET /p.gif?t=share)",
    "email_open": "email opens (GET /p.gif?t=view)",
    "click": "friends' clicks (GET /r/{code}, browsers)",
    "repeat_click": "repeat clicks within the hour (counted once)",
    "bot_preview": "link-preview bots (flagged, not clicks)",
    "link_check": "HEAD checks (not recorded)",
    "referred_purchase": "purchases with the redirect's click_id",
    "code_purchase": "purchases with a code typed at checkout",
    "repeat_purchase": "repeat purchases (not a first purchase)",
    "self_referral": "advocates buying through their own link",
    "unattributed_purchase": "purchases nobody referred",
    "returning_purchase": "earlier days' referred customers buying again (no link)",
    "refund": "refunds",
}


@dataclass(frozen=True)
class SimulationPlan:
    advocates: int
    friends_per_advocate: int
    seed: int
    run_tag: str
    currency: str = "USD"


@dataclass(frozen=True)
class Step:
    """One request to send. `advocate` is the index of the advocate whose code it uses (known once enrolled);
    `buyer` names the friend whose click id a purchase carries, or whose click this is."""

    kind: Kind
    advocate: int | None = None
    user_agent: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    events: tuple[dict[str, str], ...] = ()
    buyer: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def advocate_customer_id(index: int) -> str:
    """The same advocates on every run: enrolling again returns the same advocate."""
    return f"sim-advocate-{index + 1:03d}"


def plan_traffic(plan: SimulationPlan) -> list[Step]:
    """Every request of the run, in order. Pure: the same plan gives the same steps."""
    if plan.advocates < 1 or plan.friends_per_advocate < 1:
        raise ValueError("at least one advocate with at least one friend")
    rng = random.Random(plan.seed)
    tag = plan.run_tag
    browser_offset = int.from_bytes(tag.encode(), "big") % 50_000  # new visitors on each run, in the same hour too
    people = 0

    def browser() -> str:
        nonlocal people
        people += 1
        return rng.choice(BROWSERS).format(n=1000 + browser_offset + people)

    def price() -> int:
        return rng.choice(PRICES)

    steps: list[Step] = [Step("enrolment", advocate=i, payload={"customer_id": advocate_customer_id(i)}) for i in range(plan.advocates)]
    referred_orders: list[dict[str, Any]] = []
    # Guaranteed at least once per run, each with an advocate picked by the seed, so a small run shows them all.
    must_self_refer = rng.randrange(plan.advocates)
    must_preview = rng.randrange(plan.advocates)
    must_check = rng.randrange(plan.advocates)
    must_repeat_click = rng.randrange(plan.advocates)
    must_buy = rng.randrange(plan.advocates)
    must_buy_again = must_buy
    must_retry = rng.randrange(plan.advocates)

    for i in range(plan.advocates):
        advocate_browser = browser()
        channels = rng.sample(SHARE_CHANNELS, rng.randint(1, 3))
        share_events = tuple(
            {"type": "share", "code": "", "channel": channel, "event_id": f"sim-{tag}-share-{i}-{n}"}
            for n, channel in enumerate(channels)
        )
        steps.append(Step("share_batch", advocate=i, user_agent=advocate_browser, events=share_events))
        if i == must_retry or rng.random() < 0.2:  # the widget's request timed out and it sent the batch again
            steps.append(Step("share_batch_retry", advocate=i, user_agent=advocate_browser, events=share_events))
        if rng.random() < 0.5:
            channel = rng.choice(PIXEL_SHARE_CHANNELS)
            steps.append(Step("pixel_share", advocate=i, user_agent=advocate_browser, query={"t": "share", "ch": channel}))
        for _ in range(rng.randint(0, 3)):
            steps.append(Step("email_open", advocate=i, user_agent=browser(), query={"t": "view", "ch": "email"}))

        if i == must_preview or rng.random() < 0.5:  # pasting the link into a chat makes the app fetch a preview
            for bot in rng.sample(LINK_PREVIEW_BOTS, rng.randint(1, 2)):
                steps.append(Step("bot_preview", advocate=i, user_agent=bot))
        if i == must_check or rng.random() < 0.3:
            steps.append(Step("link_check", advocate=i, user_agent=browser()))

        buyers: list[str] = []
        for j in range(plan.friends_per_advocate):
            friend = f"sim-{tag}-friend-{i + 1}-{j + 1}"
            friend_browser = browser()
            steps.append(Step("click", advocate=i, user_agent=friend_browser, buyer=friend))
            if (i == must_repeat_click and j == 0) or rng.random() < 0.2:
                steps.append(Step("repeat_click", advocate=i, user_agent=friend_browser, buyer=friend))
            if (i == must_buy and j == 0) or rng.random() < 0.3:
                buyers.append(friend)
        for n, friend in enumerate(buyers):
            order = {"order_id": f"sim-{tag}-order-{friend.rsplit('-friend-', 1)[1]}", "amount": price(), "currency": plan.currency, "customer_id": friend}
            steps.append(Step("referred_purchase", advocate=i, buyer=friend, payload=order))
            referred_orders.append(order)
            if (i == must_buy_again and n == 0) or rng.random() < 0.15:
                again = {**order, "order_id": f"{order['order_id']}-again", "amount": price()}
                steps.append(Step("repeat_purchase", advocate=i, buyer=friend, payload=again))
        if rng.random() < 0.15:  # heard about it from the advocate, typed the code at checkout without a click
            payload = {"order_id": f"sim-{tag}-order-{i + 1}-code", "amount": price(), "currency": plan.currency, "customer_id": f"sim-{tag}-friend-{i + 1}-code"}
            steps.append(Step("code_purchase", advocate=i, payload=payload))
        if i == must_self_refer or rng.random() < 0.1:
            payload = {"order_id": f"sim-{tag}-order-{i + 1}-self", "amount": price(), "currency": plan.currency, "customer_id": advocate_customer_id(i)}
            steps.append(Step("self_referral", advocate=i, payload=payload))

    referred = sum(1 for step in steps if step.kind in ("referred_purchase", "code_purchase", "repeat_purchase"))
    for n in range(max(1, round(referred * rng.uniform(1.5, 3.0)))):
        payload = {"order_id": f"sim-{tag}-order-shop-{n + 1}", "amount": price(), "currency": plan.currency, "customer_id": f"sim-{tag}-shopper-{n + 1}"}
        steps.append(Step("unattributed_purchase", payload=payload))
    for n, order in enumerate(rng.sample(referred_orders, min(len(referred_orders), rng.randint(1, 2)))):
        amount = order["amount"] if rng.random() < 0.5 else order["amount"] // 2  # a return, or half of the basket
        steps.append(Step("refund", payload={"refund_id": f"sim-{tag}-refund-{n + 1}", "order_id": order["order_id"], "amount": amount}))
    return steps


# --- history: --days N ---------------------------------------------------------------------------------

# The post-purchase survey's answers (SPEC §3.2), as buyers of each kind might give them; None: not answered.
REFERRED_ANSWERS = ("friend_or_family", "friend_or_family", "friend_or_family", "social_media", None)
UNREFERRED_ANSWERS = ("search", "advertising", "friend_or_family", "social_media", "review_site", "influencer", "other", None, None)


def plan_history(plan: SimulationPlan, days: int) -> list[list[Step]]:
    """`days` days of traffic, one list of steps per day, oldest first. Pure. Each day is a day of `plan_traffic`
    with its own seed and ids; the advocates enrol on the first day only; buyers answer the survey
    (`heard_from`); and customers referred on earlier days come back to buy again without a link."""
    if days < 1:
        raise ValueError("at least one day")
    rng = random.Random(plan.seed * 7919 + days)
    history: list[list[Step]] = []
    earlier_buyers: list[str] = []
    for n in range(days):
        # Word spreads: friends per advocate grow over the period, with good and bad days.
        friends = max(1, round(plan.friends_per_advocate * (0.6 + 0.8 * n / days) * rng.uniform(0.6, 1.4)))
        day_plan = SimulationPlan(plan.advocates, friends, plan.seed + n, f"{plan.run_tag}-d{n + 1}", plan.currency)
        quiet = {i for i in range(plan.advocates) if n > 0 and rng.random() < 0.55}  # advocates who share no more today
        steps = []
        for step in plan_traffic(day_plan):
            if step.kind == "enrolment" and n > 0:
                continue
            if step.advocate in quiet and step.kind in ("share_batch", "share_batch_retry", "pixel_share"):
                continue
            if step.kind in ("referred_purchase", "code_purchase", "unattributed_purchase"):
                answer = rng.choice(UNREFERRED_ANSWERS if step.kind == "unattributed_purchase" else REFERRED_ANSWERS)
                if answer:
                    step = Step(step.kind, step.advocate, step.user_agent, step.query, step.events, step.buyer, {**step.payload, "heard_from": answer})
            steps.append(step)
        for k, buyer in enumerate(b for b in earlier_buyers if rng.random() < 0.03):
            payload = {"order_id": f"sim-{day_plan.run_tag}-return-{k + 1}", "amount": rng.choice(PRICES), "currency": plan.currency, "customer_id": buyer}
            steps.insert(len(steps) - 1, Step("returning_purchase", payload=payload))
        earlier_buyers += [step.payload["customer_id"] for step in steps if step.kind in ("referred_purchase", "code_purchase")]
        history.append(steps)
    return history


# --- sending ------------------------------------------------------------------------------------------


class SimulationError(Exception):
    """An answer the simulation did not expect: it stops there."""


@dataclass
class SimulationResult:
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    def summary_lines(self, campaign_id: str, run_tag: str) -> list[str]:
        width = max(len(label) for label in KIND_LABELS.values())
        lines = [f"wom simulate: {self.requests} requests for campaign {campaign_id!r} (run {run_tag})"]
        lines += [f"  {label:<{width}}  {self.sent[kind]:>5}" for kind, label in KIND_LABELS.items() if self.sent[kind]]
        if self.statuses:
            answered = ", ".join(f"{status} {count}" for status, count in sorted(self.statuses.items()))
            lines.append(f"  conversions as wom attributed them: {answered}")
        return lines


def _describe(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        detail = f"{error.get('code')}: {error.get('message')}" if error else response.text[:200]
    except ValueError:
        detail = response.text[:200]
    return f"{response.request.method} {urlsplit(response.url).path} answered {response.status_code} ({detail})"


class Simulation:
    def __init__(self, base_url: str, campaign_id: str, admin_token: str, signing_secret: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.campaign_id = campaign_id
        self.admin_token = admin_token
        self.signing_secret = signing_secret
        self.session = session or requests.Session()
        self.codes: dict[int, str] = {}
        self.click_ids: dict[str, str] = {}
        self.signed_at: int | None = None  # signatures' time: the moved clock's, when simulating history

    # Every answer goes through here: anything but the expected status stops the run.
    def _expect(self, response: requests.Response, expected: Sequence[int]) -> requests.Response:
        if response.status_code in expected:
            return response
        if response.status_code >= 500:
            raise SimulationError(f"{_describe(response)}: a defect in wom; see the `wom run` log")
        if response.status_code == 401:
            hint = "set WOM_ADMIN_TOKEN to the server's admin token" if "/campaigns" in response.url else "set WOM_SIGNING_SECRET to the server's signing secret"
            raise SimulationError(f"{_describe(response)}: {hint}")
        raise SimulationError(_describe(response))

    def _get(self, path: str, user_agent: str | None, **kwargs: Any) -> requests.Response:
        return self.session.get(f"{self.base_url}{path}", headers={"User-Agent": user_agent or ""}, allow_redirects=False, timeout=15, **kwargs)

    def _admin(self, method: str, path: str, payload: dict[str, Any] | None = None) -> requests.Response:
        return self.session.request(
            method, f"{self.base_url}{path}", json=payload, timeout=15,
            headers={"Authorization": f"Bearer {self.admin_token}", "User-Agent": "wom-simulate"},
        )

    def campaign(self) -> dict[str, Any]:
        campaign_id = self.campaign_id
        response = self._admin("GET", f"/v1/campaigns/{campaign_id}")
        if response.status_code == 404:
            raise SimulationError(
                f"there is no campaign {campaign_id!r} at {self.base_url}: create it with POST /v1/campaigns, "
                "or simulate the demo campaign that `wom run` seeds (--campaign demo)"
            )
        return self._expect(response, (200,)).json()

    def send(self, step: Step, result: SimulationResult) -> None:
        code = self.codes.get(step.advocate) if step.advocate is not None else None
        kind = step.kind
        if kind == "enrolment":
            response = self._expect(self._admin("POST", f"/v1/campaigns/{self.campaign_id}/advocates", step.payload), (200, 201))
            self.codes[step.advocate] = response.json()["code"]  # type: ignore[index]
        elif kind in ("share_batch", "share_batch_retry"):
            events = [{**event, "code": code} for event in step.events]
            response = self._expect(
                self.session.post(f"{self.base_url}/v1/events", json={"events": events}, headers={"User-Agent": step.user_agent or ""}, timeout=15),
                (200,),
            )
            rejected = response.json().get("rejected") or []
            if rejected:
                raise SimulationError(f"POST /v1/events rejected {len(rejected)} of {len(events)} events: {rejected[0]}")
        elif kind in ("pixel_share", "email_open"):
            self._expect(self._get("/p.gif", step.user_agent, params={**step.query, "c": code}), (200,))
        elif kind in ("click", "repeat_click", "bot_preview"):
            response = self._expect(self._get(f"/r/{code}", step.user_agent), (302,))
            if step.buyer and kind == "click":
                location = parse_qs(urlsplit(response.headers.get("Location", "")).query)
                if not location.get("wom_click"):
                    raise SimulationError(f"GET /r/{code} redirected without a wom_click: {response.headers.get('Location')!r}")
                self.click_ids[step.buyer] = location["wom_click"][0]
        elif kind == "link_check":
            url = f"{self.base_url}/r/{code}"
            self._expect(self.session.head(url, headers={"User-Agent": step.user_agent or ""}, allow_redirects=False, timeout=15), (302,))
        elif kind == "refund":
            self._expect(send_signed(self.base_url, "/v1/refunds", step.payload, self.signing_secret, self.signed_at), (200, 201))
        else:
            payload = dict(step.payload)
            if kind in ("referred_purchase", "repeat_purchase"):
                payload["click_id"] = self.click_ids[step.buyer]  # type: ignore[index]
            elif kind in ("code_purchase", "self_referral"):
                payload["referral_code"] = code
            response = self._expect(send_signed(self.base_url, "/v1/conversions", payload, self.signing_secret, self.signed_at), (200, 201))
            result.statuses[response.json()["status"]] += 1
        result.sent[kind] += 1
        result.requests += 1

    def run(self, plan: SimulationPlan, progress: Callable[[list[Step]], Any] | None = None) -> SimulationResult:
        steps = plan_traffic(plan)
        result = SimulationResult()
        for step in (progress or iter)(steps):
            self.send(step, result)
        return result

    def move_clock(self, moment: datetime | None) -> None:
        """Local mode's one clock (WOM_MOVABLE_CLOCK), moved for every function of `wom run`; None restores it."""
        response = self._admin("PUT", "/_local/clock", {"now": moment.isoformat() if moment else None})
        if response.status_code == 404:
            raise SimulationError("local mode's clock cannot be moved: start it with WOM_MOVABLE_CLOCK=1 wom run (local mode only)")
        self._expect(response, (200,))
        self.signed_at = int(moment.timestamp()) if moment else None

    def ensure_campaign(self, first_day: date) -> dict[str, Any]:
        """The campaign, created on the history's first day if it does not exist (its metrics start the day it was made)."""
        response = self._admin("GET", f"/v1/campaigns/{self.campaign_id}")
        if response.status_code != 404:
            return self._expect(response, (200,)).json()
        self.move_clock(datetime(first_day.year, first_day.month, first_day.day, 8, tzinfo=UTC))
        body = {
            "campaign_id": self.campaign_id,
            "name": f"{self.campaign_id.replace('-', ' ').title()} (simulated)",
            "destination_url": "https://shop.example.com/",
            "rewards": {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}, "min_order_amount": 1000},
        }
        return self._expect(self._admin("POST", "/v1/campaigns", body), (201,)).json()

    def run_history(self, plan: SimulationPlan, first_day: date, days: int, progress: Callable[[list[Step]], Any] | None = None) -> SimulationResult:
        """Each day's traffic with local mode's clock on that day (10:00 UTC, a second later for each request)."""
        result = SimulationResult()
        try:
            for n, steps in enumerate(plan_history(plan, days)):
                start = datetime(first_day.year, first_day.month, first_day.day, 10, tzinfo=UTC) + timedelta(days=n)
                for index, step in enumerate((progress or iter)(steps)):
                    if index % 20 == 0:
                        self.move_clock(start + timedelta(seconds=index * 9))
                    self.send(step, result)
        finally:
            self.move_clock(None)
        return result


def compute_history(first_day: date, days: int) -> None:
    """What the scheduled jobs would have done each day: rewards as of the day's end, that day's metrics, then the
    cohorts of the months it spans (in this process, against local mode's emulator)."""
    from local.emulator import use_local_mode_unless_aws
    from local.jobs import invoke_function, job_named, run_job
    from shared.platform.resources import REFERRALS_TABLE

    use_local_mode_unless_aws(REFERRALS_TABLE.env_var)
    from shared.platform.observability import logger as function_logger

    function_logger.setLevel("CRITICAL")  # the jobs' own log lines would bury the summary
    rewards, metrics = job_named("rewards"), job_named("metrics")
    last = first_day + timedelta(days=days - 1)
    for n in range(days):
        day = first_day + timedelta(days=n)
        run_job(rewards, datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC))
        run_job(metrics, datetime(day.year, day.month, day.day, 23, 45, tzinfo=UTC), day)
    end = datetime(last.year, last.month, last.day, 23, 50, tzinfo=UTC)
    for month in sorted({f"{first_day + timedelta(days=n):%Y-%m}" for n in range(days)}):
        invoke_function(metrics.function, {"job": metrics.name, "now": end.isoformat(), "month": month})


def simulate(args: argparse.Namespace) -> int:
    """`wom simulate`: plan from the seed, send with a progress bar, print what was sent."""
    settings = local_settings()
    admin_token, secret = settings.admin_token, settings.signing_secret
    simulation = Simulation(args.api_url, args.campaign, admin_token, secret)
    run_tag = args.run_tag or secrets.token_hex(3)
    first_day = datetime.now(UTC).date() - timedelta(days=(args.days or 1) - 1)
    try:
        campaign = simulation.ensure_campaign(first_day) if args.days else simulation.campaign()
        plan = SimulationPlan(args.advocates, args.friends_per_advocate, args.seed, run_tag, campaign.get("currency") or "USD")

        def progress(steps: list[Step]) -> Any:
            return tqdm(steps, desc=f"simulating {args.campaign}", unit="req", file=sys.stderr, disable=args.quiet, leave=not args.days)

        if args.days:
            result = simulation.run_history(plan, first_day, args.days, progress)
            compute_history(first_day, args.days)
        else:
            result = simulation.run(plan, progress)
    except SimulationError as error:
        print(f"\nwom simulate: stopped: {error}", file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(f"\nwom simulate: cannot reach {args.api_url} ({error.__class__.__name__}); is `wom run` running?", file=sys.stderr)
        return 1
    print("\n".join(result.summary_lines(args.campaign, run_tag)))
    if args.days:
        print(f"{args.days} days of history, {first_day} to today, with their rewards, metrics and cohorts. Now: wom report --campaign {args.campaign}")
    else:
        print("Run `wom jobs run metrics` (local mode also runs it every minute), then `wom report`.")
    return 0


def add_simulate_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "simulate",
        help="drive realistic referral traffic through the HTTP API, with a progress bar",
        description=(
            "Enrol advocates in an existing campaign, then send what their referrals would cause: shares, email "
            "opens, friends' clicks (repeats, link-preview bots, HEAD checks), signed purchases (referred, repeat, "
            "self-referral, unattributed) and refunds. The same --seed and --run-tag send the same requests; a "
            f"fresh run tag keeps order and event ids new on every run. Admin token from $WOM_ADMIN_TOKEN, signing "
            "secret from $WOM_SIGNING_SECRET (local mode's defaults otherwise)."
        ),
    )
    parser.add_argument("--api-url", default=local_settings().api_url, help="the API's base URL (default: $WOM_API_URL, else local mode's API)")
    parser.add_argument("--campaign", default="demo", help="an existing campaign's id (default: demo)")
    parser.add_argument("--advocates", type=whole_number(1), default=10, help="advocates to enrol (default: 10)")
    parser.add_argument("--friends-per-advocate", type=whole_number(1), default=6, help="friends who follow each advocate's link (default: 6)")
    parser.add_argument("--seed", type=int, default=1, help="random seed: the shape of the traffic (default: 1)")
    parser.add_argument("--run-tag", help="goes into order, event and customer ids (default: random, so reruns add new traffic)")
    parser.add_argument(
        "--days", type=whole_number(1, 366),
        help="N days of history ending today: moves local mode's clock day by day (needs WOM_MOVABLE_CLOCK=1 wom run), "
        "creates the campaign on the first day if it does not exist, and runs the jobs for each day",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=simulate)
