"""§3: warm latency of each handler with its AWS calls stubbed.

The items the handlers read come from a short moto run (campaign, advocate, code, salt, one click);
then moto is gone and a botocore `before-call` hook answers every DynamoDB call from that snapshot —
the hook botocore's Stubber uses, without Stubber's fixed queue of expected calls (the 60 s link-target
cache and the per-day salt make the order of calls depend on time). Parameter validation and request
serialisation still run; the HTTP round trip and response parsing do not. The client's endpoint is a
closed local port, so any call that escaped the stub would fail rather than leave the machine.
"""

from __future__ import annotations

import gc
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from moto import mock_aws

from bench import traffic
from bench.environment import CLOSED_ENDPOINT, counted_logs, create_stack_resources, handler_environment, patched_environ
from bench.stats import Spread, percentile
from shared import wiring
from shared.platform.resources import TABLES
from shared.platform.dynamo import dynamodb_client
from shared.platform.settings import get_settings

Key = tuple[str, str, str]


class CannedDynamoDB:
    """Answers DynamoDB calls from memory: reads from a snapshot, writes succeed and change nothing."""

    def __init__(self, client: Any, items: dict[Key, dict]) -> None:
        self.items = items
        # Partitions in sort-key order, built once: answering a query must not cost the timed code a sort.
        self.partitions: dict[tuple[str, str], list[dict]] = {}
        for (table, pk, _), item in sorted(items.items()):
            self.partitions.setdefault((table, pk), []).append(item)
        self.operations: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._answer)

    def _answer(self, model: Any, params: dict, **_: Any) -> tuple[AWSResponse, dict]:
        operation = model.name
        self.operations[operation] += 1
        body = params["body"]
        if isinstance(body, bytes):
            body = json.loads(body)
        if operation == "GetItem":
            key = (body["TableName"], body["Key"]["pk"]["S"], body["Key"]["sk"]["S"])
            parsed: dict = {"Item": self.items[key]} if key in self.items else {}
        elif operation in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"):
            parsed = {}
        elif operation == "BatchWriteItem":
            parsed = {"UnprocessedItems": {}}
        elif operation == "Query":
            # A whole partition in one page: the only query shape the metrics job and the campaign list use.
            found = []
            if body.get("KeyConditionExpression") == "pk = :pk" and "IndexName" not in body:
                pk = body["ExpressionAttributeValues"][":pk"]["S"]
                found = self.partitions.get((body["TableName"], pk), [])
            parsed = {"Items": found, "Count": len(found), "ScannedCount": len(found)}
        else:
            raise AssertionError(f"the latency bench has no canned answer for DynamoDB {operation}")
        parsed["ResponseMetadata"] = {"HTTPStatusCode": 200, "RequestId": "canned"}
        return AWSResponse(CLOSED_ENDPOINT, 200, {}, None), parsed


@dataclass(frozen=True)
class Snapshot:
    items: dict[Key, dict]
    code: str
    click_id: str


def snapshot(log_level: str) -> Snapshot:
    with patched_environ(handler_environment(log_level)), mock_aws():
        wiring.reset()
        client = create_stack_resources()
        with counted_logs():
            seed = traffic.seed_campaign()
            click_id = traffic.click_id_of(traffic.invoke(*traffic.click(seed.code, 1)))
        items = {}
        for table in TABLES:
            for item in client.scan(TableName=table.local_name)["Items"]:
                items[(table.local_name, item["pk"]["S"], item["sk"]["S"])] = item
        wiring.reset()
        return Snapshot(items=items, code=seed.code, click_id=click_id)


@dataclass(frozen=True)
class LatencyScenario:
    key: str
    function: str
    label: str
    build: Callable[[int, int], tuple[str, dict]]  # (round, index) -> request
    weight: int = 1  # a request this many times heavier gets this many times fewer requests a round


@dataclass(frozen=True)
class LatencyResult:
    key: str
    function: str
    label: str
    rounds: int
    per_round: int
    p50_ms: Spread  # over rounds
    p99_ms: Spread
    mean_ms: Spread
    max_ms: float
    dynamodb_calls: float  # per invocation, as the stub saw them


@dataclass(frozen=True)
class LatencyReport:
    results: list[LatencyResult]

    def result(self, key: str) -> LatencyResult:
        return next(r for r in self.results if r.key == key)


def scenarios(shot: Snapshot, secret: str) -> list[LatencyScenario]:
    code = shot.code
    return [
        LatencyScenario("click", "tracking", "click `GET /r/{code}`", lambda r, i: traffic.click(code, r * 100_000 + i)),
        LatencyScenario("view_pixel", "tracking", "view `GET /p.gif`", lambda r, i: traffic.pixel("view", code, i)),
        LatencyScenario("share_api", "tracking", "share `POST /v1/events` (1 event)", lambda r, i: traffic.events_post(code, r * 100_000 + i, 1)),
        LatencyScenario(
            "share_api_batch", "tracking", "shares `POST /v1/events` (100 events a request)",
            lambda r, i: traffic.events_post(code, r * 100_000 + i, 100), weight=20,
        ),
        LatencyScenario(
            "conversion_click", "conversions", "conversion by `click_id` `POST /v1/conversions`",
            lambda r, i: traffic.conversion(f"lat-{r}-{i}", f"buyer-{r}-{i}", secret, click_id=shot.click_id),
        ),
        LatencyScenario("admin_read", "admin", "admin `GET /v1/campaigns/{id}`", lambda r, i: traffic.read_campaign()),
    ]


def _timed(requests: list[tuple[str, dict]]) -> list[float]:
    handlers = {function: traffic.handler_module(function).lambda_handler for function, _ in requests}
    context = traffic.CONTEXT
    samples = []
    clock = time.perf_counter_ns
    for function, event in requests:
        handler = handlers[function]
        start = clock()
        response = handler(event, context)
        samples.append((clock() - start) / 1e6)
        if response["statusCode"] >= 400:
            raise RuntimeError(f"latency bench request failed: {response}")
    return samples


def measure_latency(log_level: str = "INFO", rounds: int = 5, per_round: int = 2000, warmup: int = 200) -> LatencyReport:
    shot = snapshot(log_level)
    environment = {**handler_environment(log_level), "AWS_ENDPOINT_URL": CLOSED_ENDPOINT}
    with patched_environ(environment, drop=("AWS_PROFILE",)), counted_logs():
        wiring.reset()
        canned = CannedDynamoDB(dynamodb_client(), shot.items)
        chosen = scenarios(shot, get_settings().signing_secret)
        for scenario in chosen:
            _timed([scenario.build(-1, i) for i in range(max(1, warmup // scenario.weight))])
        samples: dict[str, list[list[float]]] = {s.key: [] for s in chosen}
        calls: dict[str, float] = {s.key: 0.0 for s in chosen}
        for round_ in range(rounds):
            for scenario in chosen:
                requests = [scenario.build(round_, i) for i in range(max(1, per_round // scenario.weight))]
                gc.collect()
                before = sum(canned.operations.values())
                samples[scenario.key].append(sorted(_timed(requests)))
                calls[scenario.key] += (sum(canned.operations.values()) - before) / len(requests)
        wiring.reset()
    results = []
    for scenario in chosen:
        runs = samples[scenario.key]
        results.append(
            LatencyResult(
                key=scenario.key,
                function=scenario.function,
                label=scenario.label,
                rounds=rounds,
                per_round=max(1, per_round // scenario.weight),
                p50_ms=Spread.of(percentile(run, 0.50) for run in runs),
                p99_ms=Spread.of(percentile(run, 0.99) for run in runs),
                mean_ms=Spread.of(sum(run) / len(run) for run in runs),
                max_ms=max(run[-1] for run in runs),
                dynamodb_calls=calls[scenario.key] / rounds,
            )
        )
    return LatencyReport(results)
