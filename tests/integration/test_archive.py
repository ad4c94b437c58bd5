"""The raw event archive under moto: events recorded through the real handlers, read back from the events table's
real DynamoDB stream (moto models it) by local mode's poller, written by the real archive function into S3."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from functions.archive import handler as archive_handler
from functions.metrics import handler as metrics_handler
from local.archive import StreamPoller, streams_client
from shared import wiring
from shared.archive.lines import day_events, day_prefix, parse
from shared.metrics.daily import object_key
from shared.platform import keys
from shared.platform.privacy import email_hash
from shared.platform.resources import ARCHIVE_PREFIX, EVENTS_TABLE, METRICS_BUCKET
from tests.integration.test_metrics_job import DAY, at, buy, click, pixel, scripted_day, share  # noqa: F401 - fixtures
from tests.integration.test_metrics_job import clock  # noqa: F401 - the fixture
from tests.support.http_events import BROWSER_UA, LambdaContext


class Archive:
    """The archive writer as its event source mapping drives it, keeping each batch it was handed."""

    def __init__(self) -> None:
        self.batches: list[dict] = []
        self.results: list[dict] = []
        self.poller = StreamPoller(boto3.client("dynamodb"), streams_client(), self._invoke)

    def _invoke(self, function_name: str, event: dict) -> dict:
        assert function_name == "archive"
        self.batches.append(event)
        self.results.append(archive_handler.lambda_handler(event, LambdaContext()))
        return self.results[-1]

    def run(self) -> int:
        return self.poller.poll_once()


def objects() -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=METRICS_BUCKET.local_name, Prefix=ARCHIVE_PREFIX).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=o["Key"])["Body"].read() for o in listed}


def lines() -> list[dict]:
    return [line for body in objects().values() for line in parse(body)]


@pytest.fixture
def archive(aws) -> Archive:
    return Archive()


def test_every_request_of_a_day_becomes_a_line_under_its_day(api, clock, archive) -> None:  # noqa: F811
    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": {"advocate": {"type": "flat", "value": 500}}})["statusCode"] == 201
    code = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"]["code"]
    at(clock, 10)
    first = click(api, code, "203.0.113.1")
    assert click(api, code, "203.0.113.1") == first  # a repeat within the hour: one click, a line of its own
    click(api, code, "203.0.113.8", user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
    share(api, code, "whatsapp", event_id="s-1")
    pixel(api, "view", code, "email")
    buy(clock, "o-1", "friend-1", 2_000, click_id=first)
    at(clock, 9, day=DAY + timedelta(days=1))
    share(api, code, "x")

    archive.run()
    assert sum(written["records"] for written in archive.results) == 7
    names = sorted(objects())
    assert [name.rsplit("/", 1)[0] for name in names] == ["events/dt=2026-11-20", "events/dt=2026-11-21"]
    assert all(name.endswith(".json.gz") for name in names)
    day = [line for line in lines() if line["date"] == DAY.isoformat()]
    assert sorted((line["kind"], line.get("hits")) for line in day) == [
        ("click", 1), ("click", 1), ("click", 2), ("conversion", None), ("share", None), ("view", None)
    ]
    repeat = [line for line in day if line["kind"] == "click" and line["id"] == first]
    assert [line["hits"] for line in repeat] == [1, 2] and repeat[0]["at"] == repeat[1]["at"]
    assert all(line["campaign_id"] == "spring" and line["seq"] for line in day)
    conversion = next(line for line in day if line["kind"] == "conversion")
    assert (conversion["status"], conversion["amount"], conversion["currency"], conversion["conversion_id"]) == ("attributed", 2_000, "USD", conversion["id"])
    # Read back, a day is each event once, as the events table held it last.
    events = day_events(day)["spring"]
    assert sorted((e["kind"], e.get("hits")) for e in events) == [("click", 1), ("click", 2), ("conversion", None), ("share", None), ("view", None)]
    # Nothing arrived since: nothing more to archive.
    assert archive.run() == 0


def test_a_redelivered_or_bisected_batch_leaves_the_same_objects(api, clock, archive) -> None:  # noqa: F811
    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": {"advocate": {"type": "flat", "value": 500}}})["statusCode"] == 201
    code = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"]["code"]
    at(clock, 23, 50)
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.1"):
        click(api, code, ip)
    at(clock, 0, 10, day=DAY + timedelta(days=1))
    share(api, code, "email")
    click(api, code, "203.0.113.3")
    archive.run()
    [batch] = archive.batches
    written = objects()
    assert len(written) == 2  # the batch spans two days

    archive_handler.lambda_handler(batch, LambdaContext())  # Lambda redelivers the same batch
    assert objects() == written, "same names, same bytes"

    # Lambda bisects a failing batch, half by half, down to single records. Suppose every attempt wrote all its
    # objects and then failed anyway (a timeout after the puts): what is left holds each record exactly once.
    records = batch["Records"]
    archived = sorted(line["seq"] for line in lines())

    def bisect(part: list[dict]) -> None:
        archive_handler.lambda_handler({"Records": part}, LambdaContext())
        if len(part) > 1:
            middle = (len(part) + 1) // 2
            bisect(part[:middle])
            bisect(part[middle:])

    bisect(records)
    assert sorted(line["seq"] for line in lines()) == archived


def test_the_archive_holds_no_customer_data(api, clock, archive) -> None:  # noqa: F811
    """SPEC §6: an erased person's archived events lead to no one, so erasure need not touch the archive."""
    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": {"advocate": {"type": "flat", "value": 500}}})["statusCode"] == 201
    advocate = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "advocate-customer-7731", "email": "ada.lovelace@example.org"})["json"]
    at(clock, 10)
    click_id = click(api, advocate["code"], "203.0.113.77")
    share(api, advocate["code"], "email")
    buyer = {"customer_id": "buyer-customer-5519", "customer_email": "grace.hopper@example.net", "metadata": {"note": "gift wrap"}}
    buy(clock, "order-4242", buyer["customer_id"], 5_000, click_id=click_id, customer_email=buyer["customer_email"], metadata=buyer["metadata"])
    buy(clock, "order-4243", "walk-in-customer-8080", 1_000, customer_email="walk.in@example.com")
    archive.run()

    text = "\n".join(json.dumps(line) for line in lines())
    assert '"kind": "conversion"' in text and '"kind": "click"' in text
    hash_key = wiring.email_hash_key()
    forbidden = [
        "advocate-customer-7731", "buyer-customer-5519", "walk-in-customer-8080", "order-4242", "order-4243",
        "ada.lovelace@example.org", "grace.hopper@example.net", "walk.in@example.com", "example", "gift wrap",
        email_hash(hash_key, "ada.lovelace@example.org"), email_hash(hash_key, "grace.hopper@example.net"), email_hash(hash_key, "walk.in@example.com"),
        "203.0.113.77", BROWSER_UA,
    ]
    for value in forbidden:
        assert value not in text, value
    # No visitor hash either: nothing stored in the events table that names the visitor is copied.
    assert not any("visitor" in line for line in lines())


def test_a_day_older_than_the_hot_window_is_recomputed_from_the_archive_byte_identical(scripted_day, clock, archive) -> None:  # noqa: F811
    hot = metrics_handler.lambda_handler({"date": DAY.isoformat(), "now": datetime(2026, 11, 21, 3, tzinfo=UTC).isoformat()}, LambdaContext())
    assert hot["objects_written"] == 1
    s3 = boto3.client("s3")
    written_hot = s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=object_key("spring", DAY))["Body"].read()
    archive.run()
    assert any(key.startswith(day_prefix(DAY)) for key in objects())

    # The hot window passes: the table's TTL removes the day's events (moto never expires them, so do it here).
    dynamodb = boto3.client("dynamodb")
    for shard_key in [k for campaign in ("spring", keys.UNATTRIBUTED) for k in keys.day_partitions(campaign, DAY)]:
        for item in dynamodb.query(TableName=EVENTS_TABLE.local_name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": shard_key}})["Items"]:
            dynamodb.delete_item(TableName=EVENTS_TABLE.local_name, Key={"pk": item["pk"], "sk": item["sk"]})
    s3.delete_object(Bucket=METRICS_BUCKET.local_name, Key=object_key("spring", DAY))

    later = datetime.combine(DAY + timedelta(days=wiring.settings().hot_event_days), datetime.min.time(), tzinfo=UTC)
    wiring.reset()
    cold = metrics_handler.lambda_handler({"date": DAY.isoformat(), "now": later.isoformat()}, LambdaContext())
    assert cold["objects_written"] == 1 and cold["items_read"] == hot["items_read"]
    assert s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=object_key("spring", DAY))["Body"].read() == written_hot

    # Inside the hot window the same day is read from the (now empty) table: the archive is only for cold days.
    wiring.reset()
    metrics_handler.lambda_handler({"date": DAY.isoformat(), "now": (later - timedelta(days=1)).isoformat()}, LambdaContext())
    assert json.loads(s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=object_key("spring", DAY))["Body"].read())["clicks"] == 0


def test_the_events_ttl_is_the_hot_window(api, clock, aws) -> None:  # noqa: F811
    from tests.integration.conftest import stored_event_items

    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": {"advocate": {"type": "flat", "value": 500}}})["statusCode"] == 201
    code = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"]["code"]
    now = at(clock, 10).now
    click(api, code, "203.0.113.1")
    share(api, code, "x")
    buy(clock, "o-1", "friend-1", 2_000, referral_code=code)
    expected = int((now + timedelta(days=35)).timestamp())
    assert [item["expires_at"] for item in stored_event_items(aws)] == [expected] * 3
    assert datetime.fromtimestamp(expected, UTC).date() == DAY + timedelta(days=35)


# --- the Glue table's columns are every field a line can hold -------------------------------------------------


def fact_lines() -> list[dict]:
    """A line of every fact shared.metrics.facts can build, through the archive's own serialiser: each builder
    called with every optional argument both given and left out (so a field written only sometimes shows up), a
    reward fact for each change it records."""
    import inspect
    import itertools

    from shared.archive.lines import batch_objects
    from shared.metrics import facts

    samples = {"str": "x", "int": 1, "bool": True, "datetime": datetime(2026, 11, 20, 12, tzinfo=UTC)}
    changes = [value for name, value in vars(facts).items() if name.startswith("REWARD_") and isinstance(value, str)]
    items = []
    for name, build in vars(facts).items():
        if not (name.endswith("_fact") and inspect.isfunction(build) and build.__module__ == facts.__name__):
            continue
        parameters = list(inspect.signature(build).parameters.values())
        options = []
        for parameter in parameters:
            annotation = str(parameter.annotation)
            if parameter.name == "change":
                options.append(changes)
            elif annotation.endswith(" | None"):
                options.append([samples[annotation.removesuffix(" | None")], None])
            else:
                options.append([samples[annotation]])
        for values in itertools.product(*options):
            positional = [v for p, v in zip(parameters, values) if p.kind is p.POSITIONAL_OR_KEYWORD]
            named = {p.name: v for p, v in zip(parameters, values) if p.kind is p.KEYWORD_ONLY}
            items.append(build(*positional, **named).item)
    assert len(items) > 10
    return [line for body in batch_objects((str(n), item) for n, item in enumerate(items, 1)).values() for line in parse(body)]


@pytest.fixture
def archived_day(scripted_day, api, clock, archive) -> list[dict]:  # noqa: F811
    """The scripted day of the metrics job (every kind of event and fact the handlers write: survey answers, repeat
    purchases, refunds, rewards created and voided), a click followed from a forum's page and a share posted with
    its own time, all archived by the real writer."""
    code = scripted_day["ada"]["code"]
    at(clock, 15)
    click(api, code, "203.0.113.20", headers={"referer": "https://forum.example.org/t/gift-ideas?page=2"})
    posted = {"type": "share", "code": code, "channel": "email", "occurred_at": "2026-11-20T14:30:00Z"}
    assert api("POST", "/v1/events", body={"events": [posted]})["json"]["accepted"] == 1
    archive.run()
    return lines()


def test_every_field_a_line_can_hold_is_a_column_of_the_raw_events_table(archived_day) -> None:
    from shared.archive.lines import FIELDS

    written = {name for line in archived_day + fact_lines() for name in line}
    columns = {name for name, _ in FIELDS}
    assert written - columns == set(), "a field the writer writes that Athena cannot read"
    assert columns - written == set(), "a column no line ever fills"
    # What issue 18 and the fraud review added, from the real handlers: survey answers, repeat purchases, a
    # followed link's referring host.
    kinds = {line["kind"] for line in archived_day}
    assert {"survey_answer", "repeat_purchase", "refund", "reward_created", "reward_voided"} <= kinds
    assert {"heard_from", "referrer_host", "received_at"} <= {name for line in archived_day for name in line}


def test_the_documented_raw_event_queries_agree_with_the_daily_object(archived_day, tmp_path) -> None:
    from shared.archive.lines import FIELDS
    from tests.integration.test_metrics_job import metrics_object
    from tests.support.athena import download, run_documented

    wiring.metrics_job().run_days([DAY])
    day = json.loads(metrics_object())
    assert download(ARCHIVE_PREFIX, tmp_path) >= 1
    files, partitions = f"{tmp_path}/{ARCHIVE_PREFIX}dt=*/*.json.gz", {"dt": "VARCHAR"}

    answers = run_documented("tests/integration/test_archive.py runs this survey query", "raw_events", files, list(FIELDS), partitions)
    assert {answer: count for answer, count, _, _ in answers} == {answer: count for answer, count in day["heard_from"].items() if count}
    assert sum(untracked for _, _, _, untracked in answers) == day["untracked_word_of_mouth"] == 2
    assert answers[0] == ("friend_or_family", 2, 1, 1)  # f3's survey answer and walk-in 1's unattributed purchase

    hosts = run_documented("tests/integration/test_archive.py runs this referrer query", "raw_events", files, list(FIELDS), partitions)
    assert hosts == [("forum.example.org", 1)]
