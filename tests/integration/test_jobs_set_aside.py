"""A job never stops for one item it cannot process (SPEC §4): it sets the item aside with its reason, finishes the
rest, fails its invocation (so the job's alarm fires), and a retry takes the item up again once its cause is fixed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from functions.metrics import handler as metrics_handler
from functions.rewards import handler as rewards_handler
from shared.metrics.facts import conversion_fact
from shared.platform.dynamo import Table
from shared.platform.errors import ItemsSetAside
from shared.platform.resources import EVENTS_TABLE, REFERRALS_TABLE
from tests.integration.test_rewards_job import START, buy, shop  # noqa: F401 - the fixture
from tests.support.http_events import LambdaContext



def rewards_run(now: datetime, **event) -> dict:
    return rewards_handler.lambda_handler({"now": now.isoformat(), **event}, LambdaContext("rewards"))


def order_item(aws, order_id: str) -> dict:
    from shared.platform import keys
    from shared.platform.dynamo import deserialise, serialise

    return deserialise(aws.get_item(TableName=REFERRALS_TABLE.local_name, Key=serialise(keys.order_key(order_id)))["Item"])


def set_attribute(aws, order_id: str, name: str, value: str) -> None:
    from shared.platform import keys
    from shared.platform.dynamo import serialise

    aws.update_item(
        TableName=REFERRALS_TABLE.local_name,
        Key=serialise(keys.order_key(order_id)),
        UpdateExpression="SET #n = :v",
        ExpressionAttributeNames={"#n": name},
        ExpressionAttributeValues=serialise({":v": value}),
    )


def test_the_rewards_job_sets_a_bad_item_aside_and_finishes_the_rest(shop, aws):  # noqa: F811
    buy(shop, "o-good-1")
    buy(shop, "o-bad")
    buy(shop, "o-good-2")
    # What an unpadded year once left in storage, and every later run raised on.
    set_attribute(aws, "o-bad", "occurred_at", "999-01-01T00:00:00.000Z")

    with pytest.raises(ItemsSetAside) as failed:
        rewards_run(START + timedelta(minutes=1))
    summary = failed.value.summary
    assert summary["conversions"] == 2 and summary["rewards_created"] == 4
    assert summary["set_aside"] == 1
    [item] = summary["set_aside_items"]
    assert item["kind"] == "conversion" and item["pk"] == "ORDER#o-bad" and "999-01-01" in item["reason"]
    bad = order_item(aws, "o-bad")
    assert bad["due_queue"] == "set_aside" and bad["set_aside_reason"] == item["reason"]

    # Later runs go on without it (and no longer fail): the good rewards are approved after holding.
    later = rewards_run(START + timedelta(days=15))
    assert later["approved"] == 4 and later["set_aside"] == 0
    assert rewards_run(START, list_set_aside=True)["set_aside_items"][0]["pk"] == "ORDER#o-bad"

    # Once its cause is fixed, a retry puts it back on the list and the run takes it up.
    set_attribute(aws, "o-bad", "occurred_at", "2026-11-02T12:00:00.000Z")
    retried = rewards_run(START + timedelta(days=15), retry_set_aside=True)
    assert retried["retried"] == 1 and retried["conversions"] == 1 and retried["rewards_created"] == 2 and retried["set_aside"] == 0
    assert "set_aside_reason" not in order_item(aws, "o-bad")
    assert rewards_run(START, list_set_aside=True) == {"set_aside_items": []}


def test_throttled_storage_stops_the_run_and_sets_nothing_aside(shop, aws, monkeypatch):  # noqa: F811
    from botocore.exceptions import ClientError

    from shared import wiring

    buy(shop, "o-1")
    job = wiring.rewards_job()

    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems")

    monkeypatch.setattr(job.rewards, "take_conversion", throttled)
    with pytest.raises(ClientError):
        job.run(START + timedelta(minutes=1))
    assert order_item(aws, "o-1")["due_queue"] == "rewards"  # still on the list for the next run


def test_the_metrics_job_sets_a_bad_campaign_day_aside_and_writes_the_others(aws, api):
    from shared import wiring

    day = date(2026, 11, 2)
    wiring.use_clock(lambda: datetime(2026, 11, 2, 12, tzinfo=START.tzinfo))
    for campaign_id in ("good", "bad"):
        body = {"campaign_id": campaign_id, "name": campaign_id, "destination_url": "https://shop.example.com/", "rewards": {"advocate": {"type": "flat", "value": 100}}}
        assert api("POST", "/v1/campaigns", body=body)["statusCode"] == 201
    fact = conversion_fact(
        conversion_id="cnv_x", campaign_id="bad", advocate_id="adv_x", status="attributed", amount="lots", currency="USD",  # type: ignore[arg-type]
        new_customer=True, received_at=datetime(2026, 11, 2, 12, tzinfo=START.tzinfo), retention_days=400,
    )
    Table(aws, EVENTS_TABLE.local_name).put(fact.item)

    with pytest.raises(ItemsSetAside) as failed:
        metrics_handler.lambda_handler({"date": day.isoformat()}, LambdaContext("metrics"))
    summary = failed.value.summary
    assert summary["objects_written"] == 1 and summary["set_aside"] == 1
    assert summary["set_aside_items"][0]["campaign_id"] == "bad" and "lots" in summary["set_aside_items"][0]["reason"]
    s3 = __import__("boto3").client("s3")
    from shared.platform.resources import METRICS_BUCKET

    written = [o["Key"] for o in s3.list_objects_v2(Bucket=METRICS_BUCKET.local_name).get("Contents", [])]
    assert written == ["metrics/daily/campaign_id=good/dt=2026-11-02/metrics.json"]
    listed = metrics_handler.lambda_handler({"list_set_aside": True}, LambdaContext("metrics"))["set_aside_items"]
    assert [(e["campaign_id"], e["date"]) for e in listed] == [("bad", "2026-11-02")]

    # Still bad: a retry sets it aside again and fails again; fixed: the retry writes it and forgets the marker.
    with pytest.raises(ItemsSetAside):
        metrics_handler.lambda_handler({"retry_set_aside": True}, LambdaContext("metrics"))
    Table(aws, EVENTS_TABLE.local_name).put({**fact.item, "amount": 100})
    retried = metrics_handler.lambda_handler({"retry_set_aside": True}, LambdaContext("metrics"))
    assert retried["retried"] == 1 and retried["objects_written"] == 1
    assert metrics_handler.lambda_handler({"list_set_aside": True}, LambdaContext("metrics")) == {"set_aside_items": []}
