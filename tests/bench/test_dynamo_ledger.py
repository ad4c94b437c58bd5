"""The capacity arithmetic the bench prices: item sizes, units, and what the ledger sees of real calls."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from bench.dynamo_ledger import DynamoLedger, item_size, read_units, write_units
from bench.environment import handler_environment, patched_environ
from local.emulator import create_resources
from shared.platform.resources import DUE_INDEX, EVENTS_TABLE, REFERRALS_TABLE, TABLES


def test_item_size_follows_dynamodb_rules():
    # names count; strings by UTF-8 bytes; numbers by significant digits (2 a byte, plus 1); bool 1; map/list 3 + contents
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "1795000000"}}) == 1 + 3  # 1795 -> 2 bytes + 1
    assert item_size({"é": {"S": "é"}}) == 2 + 2
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"m": {"M": {"k": {"S": "v"}}}, "l": {"L": [{"S": "ab"}]}}) == (1 + 3 + 2) + (1 + 3 + 2)
    assert item_size(None) == 0


@pytest.mark.parametrize(
    ("size", "transactional", "units"), [(0, False, 1), (1024, False, 1), (1025, False, 2), (300, True, 2), (2500, True, 6)]
)
def test_write_units(size, transactional, units):
    assert write_units(size, transactional) == units


def test_read_units():
    assert read_units(100, consistent=False) == 0.5
    assert read_units(100, consistent=True) == 1.0
    assert read_units(5000, consistent=True) == 2.0
    assert read_units(100, consistent=True, transactional=True) == 2.0


@pytest.fixture
def tables():
    with patched_environ(handler_environment("INFO")), mock_aws():
        client = create_resources(boto3.client)
        counted = boto3.client("dynamodb")
        yield counted, DynamoLedger(counted, client, TABLES)


def test_the_ledger_prices_writes_by_size_transactions_twice_and_index_entries(tables):
    client, ledger = tables
    small = {"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "x" * 100}}
    large = {"pk": {"S": "b"}, "sk": {"S": "1"}, "v": {"S": "x" * 1500}}
    queued = {"pk": {"S": "c"}, "sk": {"S": "1"}, DUE_INDEX.partition_key: {"S": "q"}, DUE_INDEX.sort_key: {"S": "t"}}

    client.put_item(TableName=EVENTS_TABLE.local_name, Item=small)
    client.put_item(TableName=EVENTS_TABLE.local_name, Item=large)
    client.transact_write_items(TransactItems=[{"Put": {"TableName": REFERRALS_TABLE.local_name, "Item": queued}}])
    client.get_item(TableName=EVENTS_TABLE.local_name, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
    client.get_item(TableName=EVENTS_TABLE.local_name, Key={"pk": {"S": "nope"}, "sk": {"S": "1"}}, ConsistentRead=True)

    put_small, put_large, transaction, get_found, get_missing = ledger.calls
    assert (put_small.write_units, put_large.write_units) == (1, 2)
    assert put_small.written[0].created and put_small.written[0].size == item_size(small)
    assert (transaction.write_units, transaction.index_write_units) == (2, 1)
    assert (get_found.read_units, get_found.items_read) == (0.5, 1)
    assert (get_missing.read_units, get_missing.items_read) == (1.0, 0)
    # moto's ReturnConsumedCapacity is a constant per call: shown, never priced.
    assert put_large.reported_units == put_small.reported_units


def test_an_overwrite_is_not_a_new_item(tables):
    client, ledger = tables
    item = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    client.put_item(TableName=EVENTS_TABLE.local_name, Item=item)
    mark = ledger.mark()
    client.update_item(TableName=EVENTS_TABLE.local_name, Key=item, UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": {"N": "1"}})
    tally = ledger.since(mark)
    assert tally.calls == tally.write_calls == 1
    assert tally.operations == {"UpdateItem": 1}
    assert not tally.written[0].created
