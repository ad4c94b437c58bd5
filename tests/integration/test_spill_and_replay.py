"""SPEC §7: tracked events whose write fails are spilled, then replayed once; the browser's answers do not change.

Faults come from botocore hooks on the functions' own DynamoDB client (in process, under moto): throttling,
internal errors and connection errors on every write to the events table; reads keep working."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from shared import wiring
from shared.platform.dynamo import dynamodb_client
from shared.platform.resources import EVENTS_TABLE, SPILL_QUEUE
from tests.integration.conftest import event_items

WRITES = ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems")


def _fault(kind: str):
    def hook(model, params, **_):  # before-parameter-build: the call's own parameters
        if model.name not in WRITES or params.get("TableName", EVENTS_TABLE.local_name) != EVENTS_TABLE.local_name:
            return None
        if model.name == "BatchWriteItem" and EVENTS_TABLE.local_name not in params.get("RequestItems", {}):
            return None
        if kind == "connection":
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
        code = {"throttle": "ProvisionedThroughputExceededException", "internal": "InternalServerError"}[kind]
        raise ClientError({"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 400 if kind == "throttle" else 500}}, model.name)

    return hook


def _receive(sqs, url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])


def _replay_function(messages: list[dict], url: str) -> dict:
    """The replay function, handed a batch as the spill queue's event source mapping hands it."""
    from functions.replay.handler import lambda_handler
    from local.gateway import LambdaContext
    from local.spill import lambda_record
    from shared.platform.deployment import FUNCTIONS

    arn = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    [replay] = [f for f in FUNCTIONS if f.name == "replay"]
    return lambda_handler({"Records": [lambda_record(m, arn) for m in messages]}, LambdaContext(replay))


def _drain(replay_twice: bool = False) -> int:
    """The queue through the replay function; each batch handed over twice when `replay_twice` (SQS delivers at
    least once)."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=SPILL_QUEUE.local_name)["QueueUrl"]
    messages = 0
    while batch := _receive(sqs, url):
        for _ in range(2 if replay_twice else 1):
            assert _replay_function(batch, url) == {"batchItemFailures": []}
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            messages += 1
    return messages


def _spill_one_click(api, code: str) -> tuple:
    """A click whose write is throttled, so it waits on the spill queue; storage is back afterwards."""
    dynamodb_client().meta.events.register("before-parameter-build.dynamodb", _fault("throttle"))
    api("GET", f"/r/{code}")
    wiring.reset()
    sqs = boto3.client("sqs")
    return sqs, sqs.get_queue_url(QueueName=SPILL_QUEUE.local_name)["QueueUrl"]


def test_the_replay_function_reports_only_the_messages_it_could_not_write(api, advocate, aws):
    sqs, url = _spill_one_click(api, advocate["code"])
    sqs.send_message(QueueUrl=url, MessageBody='{"not": "a spilled message"}')
    batch = _receive(sqs, url)
    assert len(batch) == 2
    [garbage] = [m["MessageId"] for m in batch if "not" in m["Body"]]
    assert _replay_function(batch, url) == {"batchItemFailures": [{"itemIdentifier": garbage}]}
    [click] = [i for i in event_items(aws) if i["kind"] == "click"]
    assert click["hits"] == 1
    # Storage failing during the replay: the message is reported, to be delivered again, and nothing is half-written.
    wiring.reset()
    dynamodb_client().meta.events.register("before-parameter-build.dynamodb", _fault("throttle"))
    [spilled] = [m for m in batch if m["MessageId"] != garbage]
    assert _replay_function([spilled], url) == {"batchItemFailures": [{"itemIdentifier": spilled["MessageId"]}]}
    assert [i["hits"] for i in event_items(aws) if i["kind"] == "click"] == [1]


def _answers(api, code: str, n: int, prefix: str) -> list[tuple]:
    answers = []
    for i in range(n):
        ua = f"Mozilla/5.0 (X11; Linux x86_64) Firefox/{100 + i}.0 ({prefix})"
        click = api("GET", f"/r/{code}", headers={"user-agent": ua})
        repeat = api("GET", f"/r/{code}", headers={"user-agent": ua})
        pixel = api("GET", "/p.gif", query={"t": "view", "c": code, "ch": "email"}, headers={"user-agent": ua})
        batch = api("POST", "/v1/events", body={"events": [{"type": "share", "code": code, "channel": "x", "event_id": f"{prefix}-{i}"}, {"type": "click", "code": code}]}, headers={"user-agent": ua})
        answers.append((click["statusCode"], repeat["statusCode"], pixel["statusCode"], pixel["headers"]["Content-Type"], batch["statusCode"], batch.get("json")))
    return answers


@pytest.mark.parametrize("kind", ["throttle", "internal", "connection"])
@pytest.mark.parametrize("twice", [False, True], ids=["once", "delivered-twice"])
def test_events_written_during_a_fault_are_replayed_exactly_once(api, advocate, aws, kind, twice):
    n = 4
    healthy = _answers(api, advocate["code"], 1, "healthy")
    dynamodb_client().meta.events.register("before-parameter-build.dynamodb", _fault(kind))
    # One visitor's redirect, repeat and posted click within the hour are one click item (3 hits); a view; a share.
    assert len(event_items(aws)) == 3
    faulty = _answers(api, advocate["code"], n, "during")
    assert [a[:4] for a in faulty] == [healthy[0][:4]] * n
    assert all(a[4] == 200 and a[5] == {"accepted": 2, "rejected": []} for a in faulty)
    assert len(event_items(aws)) == 3  # nothing was written during the fault
    wiring.reset()  # a fresh client without the fault: storage is back
    assert _drain(replay_twice=twice) == 4 * n
    items = event_items(aws)
    by_kind = {kind_: [i for i in items if i["kind"] == kind_] for kind_ in ("click", "view", "share")}
    assert len(by_kind["view"]) == 1 + n and len(by_kind["share"]) == 1 + n
    assert sorted(c["hits"] for c in by_kind["click"]) == [3] * (1 + n)  # each request's hit once
    assert _drain() == 0


def test_a_replay_of_a_replayed_message_writes_nothing_more(api, advocate, aws):
    sqs, url = _spill_one_click(api, advocate["code"])
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert "Mozilla" not in message["Body"] and "sourceIp" not in message["Body"]
    first, second = wiring.replay().replay(body), wiring.replay().replay(body)
    assert (first.written, second.written, second.already_stored) == (1, 0, 1)
    [click] = [i for i in event_items(aws) if i["kind"] == "click"]
    assert click["hits"] == 1


def test_events_neither_table_nor_queue_took_are_logged_and_wom_replay_writes_them_once(api, advocate, aws, monkeypatch, tmp_path, capsys, caplog):
    import logging

    from local.cli import main

    dynamodb_client().meta.events.register("before-parameter-build.dynamodb", _fault("throttle"))
    monkeypatch.setattr(wiring.tracking().spill, "_queue_url", "https://sqs.us-east-1.amazonaws.com/123456789012/gone")
    with caplog.at_level(logging.ERROR, logger="wom.tracking"):
        assert api("GET", f"/r/{advocate['code']}")["statusCode"] == 302
        assert api("POST", "/v1/events", body={"events": [{"type": "share", "code": advocate["code"]}, {"type": "view", "code": advocate["code"]}]})["statusCode"] == 200
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("wom-unstored-event ")]
    assert len(lines) == 3  # one line per event
    assert not any(secret in line for line in lines for secret in ("Mozilla", "203.0.113", "local-"))
    # As Lambda's JSON log format prints them.
    log = tmp_path / "tracking.log"
    log.write_text("\n".join(json.dumps({"level": "ERROR", "message": line, "requestId": "r"}) for line in lines) + "\n")
    wiring.reset()
    assert event_items(aws) == []
    assert main(["replay", "--log", str(log)]) == 0
    assert json.loads(capsys.readouterr().out) == {"already_stored": 0, "lines": 3, "unknown_code": 0, "written": 3}
    assert main(["replay", "--log", str(log)]) == 0
    assert json.loads(capsys.readouterr().out)["written"] == 0
    assert sorted(i["kind"] for i in event_items(aws)) == ["click", "share", "view"]
