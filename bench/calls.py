"""§1: DynamoDB calls and capacity per recorded share, view, click and conversion.

The real handlers get API Gateway payload-2.0 events under moto (in process); a DynamoLedger on the one
DynamoDB client the functions share counts every call they make during each request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from moto import mock_aws

from bench import traffic
from bench.dynamo_ledger import DynamoLedger, Tally
from bench.environment import counted_logs, create_stack_resources, handler_environment, patched_environ
from bench.stats import Spread
from shared import wiring
from shared.platform.resources import EVENTS_TABLE, TABLES
from shared.platform.dynamo import dynamodb_client
from shared.platform.settings import get_settings

TRACKED = ("share", "view", "click")
ITEM_OVERHEAD_BYTES = 100  # DynamoDB bills storage with 100 B of overhead per item


@dataclass(frozen=True)
class Sample:
    tally: Tally
    events: int
    log_bytes: int
    log_lines: int
    response_bytes: int


@dataclass(frozen=True)
class ScenarioResult:
    key: str
    event: str  # share, view, click or conversion
    label: str
    steady: bool  # the state a busy instance is in (caches warm), which the budgets and the cost use
    repetitions: int
    events_per_request: int
    calls: Spread  # per event
    items_written: Spread  # per event
    write_units: Spread  # per event, from item sizes
    index_write_units: Spread
    read_units: Spread
    reported_units: Spread  # per event, as moto reports ReturnConsumedCapacity
    operations: dict[str, float]  # per request, in the median request
    item_bytes: Spread  # the items written to the events table (or any table for conversions)
    stored_bytes: Spread  # per event: bytes of the items it created, with DynamoDB's 100 B per item
    log_bytes: Spread  # per request, what the functions' logger wrote at the stack's log level
    log_lines: Spread  # per request: log events
    response_bytes: Spread  # per request


@dataclass(frozen=True)
class CallsResult:
    scenarios: list[ScenarioResult]
    log_level: str

    def scenario(self, key: str) -> ScenarioResult:
        return next(s for s in self.scenarios if s.key == key)


class _Harness:
    """moto with the stack's tables; the ledger follows the functions' client across fresh instances."""

    def __init__(self) -> None:
        self.inspector = create_stack_resources()
        self.fresh_instance()

    def fresh_instance(self) -> None:
        """What a new Lambda execution environment has: no cached clients, settings, link targets or salts."""
        wiring.reset()
        self.ledger = DynamoLedger(dynamodb_client(), self.inspector, TABLES)

    def measure(self, request: tuple[str, dict], events: int) -> tuple[Sample, dict]:
        mark = self.ledger.mark()
        with counted_logs() as logs:
            response = traffic.invoke(*request)
        if response["statusCode"] >= 400:
            raise RuntimeError(f"bench request failed: {response}")
        return Sample(self.ledger.since(mark), events, logs.bytes, logs.lines, traffic.response_bytes(response)), response


def _summarise(key: str, event: str, label: str, steady: bool, samples: list[Sample]) -> ScenarioResult:
    def per_event(value: Callable[[Sample], float]) -> Spread:
        return Spread.of(value(s) / s.events for s in samples)

    middle = sorted(samples, key=lambda s: s.tally.calls)[len(samples) // 2]
    sizes = [w.size for s in samples for w in s.tally.written if event == "conversion" or w.table == EVENTS_TABLE.local_name]
    return ScenarioResult(
        key=key,
        event=event,
        label=label,
        steady=steady,
        repetitions=len(samples),
        events_per_request=samples[0].events,
        calls=per_event(lambda s: s.tally.calls),
        items_written=per_event(lambda s: len(s.tally.written)),
        write_units=per_event(lambda s: s.tally.write_units),
        index_write_units=per_event(lambda s: s.tally.index_write_units),
        read_units=per_event(lambda s: s.tally.read_units),
        reported_units=per_event(lambda s: s.tally.reported_units),
        operations=dict(sorted(middle.tally.operations.items())),
        item_bytes=Spread.of(sizes or [0]),
        stored_bytes=per_event(lambda s: sum(w.size + ITEM_OVERHEAD_BYTES for w in s.tally.written if w.created)),
        log_bytes=Spread.of(s.log_bytes for s in samples),
        log_lines=Spread.of(s.log_lines for s in samples),
        response_bytes=Spread.of(s.response_bytes for s in samples),
    )


@contextlib.contextmanager
def _moto(log_level: str) -> Iterator[_Harness]:
    with patched_environ(handler_environment(log_level)), mock_aws():
        try:
            yield _Harness()
        finally:
            wiring.reset()


def measure_calls(log_level: str = "INFO", repetitions: int = 20) -> CallsResult:
    with _moto(log_level) as bench:
        seed = traffic.seed_campaign()
        secret = get_settings().signing_secret
        results: list[ScenarioResult] = []
        visitor = iter(range(1, 1_000_000))

        def run(key: str, event: str, label: str, build: Callable[[int], tuple[tuple[str, dict], int]], *, steady: bool = True, count: int = repetitions, before: Callable[[int], None] | None = None) -> None:
            samples = []
            for n in range(count):
                if before:
                    before(n)
                request, events = build(n)
                samples.append(bench.measure(request, events)[0])
            results.append(_summarise(key, event, label, steady, samples))

        # A fresh instance: the link target (2 reads) and today's salt (1 read) are not cached yet.
        run("click_cold", "click", "click `GET /r/{code}`, first request of a fresh instance",
            lambda n: (traffic.click(seed.code, next(visitor)), 1), steady=False, count=max(3, repetitions // 4),
            before=lambda n: bench.fresh_instance())
        bench.measure(traffic.click(seed.code, next(visitor)), 1)  # warm the caches again
        run("click", "click", "click `GET /r/{code}`, new visitor", lambda n: (traffic.click(seed.code, next(visitor)), 1))
        repeat = next(visitor)
        bench.measure(traffic.click(seed.code, repeat), 1)
        run("click_repeat", "click", "repeat click, same visitor within the hour (deduplicated)", lambda n: (traffic.click(seed.code, repeat), 1))
        run("click_bot", "click", "link-preview bot click (recorded, flagged)", lambda n: (traffic.click(seed.code, next(visitor), traffic.BOT_UA), 1))
        run("click_api", "click", "click via `POST /v1/events` (1 event)", lambda n: (traffic.events_post(seed.code, next(visitor), 1, "click"), 1))
        run("view_pixel", "view", "view `GET /p.gif?t=view`", lambda n: (traffic.pixel("view", seed.code, next(visitor)), 1))
        run("share_pixel", "share", "share `GET /p.gif?t=share`", lambda n: (traffic.pixel("share", seed.code, next(visitor)), 1))
        run("share_api", "share", "share via `POST /v1/events` (1 event)", lambda n: (traffic.events_post(seed.code, next(visitor), 1), 1))
        run("share_api_batch", "share", "shares via `POST /v1/events` (100 events a request)",
            lambda n: (traffic.events_post(seed.code, next(visitor), 100), 100), count=max(2, repetitions // 4))

        conversions = max(3, repetitions // 2)
        clicks: dict[int, str] = {}

        def click_first(n: int) -> None:
            clicks[n] = traffic.click_id_of(traffic.invoke(*traffic.click(seed.code, next(visitor))))

        run("conversion_click", "conversion", "conversion attributed by `click_id` (first purchase)",
            lambda n: (traffic.conversion(f"click-{n}", f"buyer-c{n}", secret, click_id=clicks[n]), 1), count=conversions, before=click_first)
        run("conversion_code", "conversion", "conversion attributed by `referral_code`",
            lambda n: (traffic.conversion(f"code-{n}", f"buyer-r{n}", secret, referral_code=seed.code), 1), count=conversions)
        run("conversion_none", "conversion", "unattributed conversion",
            lambda n: (traffic.conversion(f"none-{n}", f"buyer-u{n}", secret), 1), count=conversions)
        run("conversion_replay", "conversion", "the same conversion posted again (idempotent replay)",
            lambda n: (traffic.conversion(f"none-{n}", f"buyer-u{n}", secret), 1), count=conversions, steady=False)
        return CallsResult(scenarios=results, log_level=log_level)
