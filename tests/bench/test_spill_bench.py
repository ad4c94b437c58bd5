"""The spill path's bench run small (§9): every request spills, the replay writes each event once, and the section
replaces itself in a report without touching the rest. No timed assertions."""

from __future__ import annotations

import boto3
from moto import mock_aws

from bench import traffic
from bench.environment import create_stack_resources, handler_environment, patched_environ
from bench.spill import HEADING, measure_spill, price_spill, splice
from tests.integration.conftest import event_items

REPORT = """# wom benchmarks

## Budgets (SPEC §8)

| budget | measured | verdict |
| --- | --- | --- |
| Cost ≤ $2.00 per million tracked clicks, all in | **$3.074** all in | **missed** |

## 8. Erasure of one customer

the erasure section
"""


def test_every_request_spills_and_is_replayed_once_and_priced():
    measured = measure_spill(requests=20)
    assert measured.events == measured.messages == measured.requests == 20
    assert measured.replay_batches == 2
    # Shares and views are put if new; each click's hit goes with its request's marker in one transaction.
    assert measured.replay_calls["TransactWriteItems"] == measured.kinds["click"]
    assert measured.replay_calls["PutItem"] == measured.kinds["share"] + measured.kinds["view"]
    lines = price_spill(measured, tracking_memory_mb=512, replay_memory_mb=256)
    assert all(line.usd_per_million >= 0 for line in lines) and sum(line.usd_per_million for line in lines) > 0


def test_the_healthy_path_makes_no_sqs_call():
    sqs_calls: list[str] = []
    with patched_environ(handler_environment("WARNING")), mock_aws():
        create_stack_resources()
        seed = traffic.seed_campaign()
        from botocore.session import Session

        original = Session.create_client

        def counting(self, service_name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            client = original(self, service_name, *args, **kwargs)
            if service_name == "sqs":
                client.meta.events.register("before-call.sqs", lambda model, **_: sqs_calls.append(model.name))
            return client

        Session.create_client = counting
        try:
            for n in range(10):
                traffic.invoke(*traffic.click(seed.code, n))
                traffic.invoke(*traffic.pixel("view", seed.code, n))
        finally:
            Session.create_client = original
        assert len([i for i in event_items(boto3.client("dynamodb")) if i["kind"] in ("click", "view")]) == 20
    assert sqs_calls == []


def test_the_section_replaces_itself_and_leaves_the_rest():
    measured = measure_spill(requests=10)
    once = splice(REPORT, measured, 512, 256, 3.074)
    assert once.startswith(REPORT.rstrip("\n")) and HEADING in once and "$3.074 per million clicks all in" in once
    twice = splice(once, measured, 512, 256, 3.074)
    assert twice == once
