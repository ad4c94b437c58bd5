"""Local mode's emulator answers queries on one partition exactly as DynamoDB would (it reads only that
partition: see local.emulator._query_reads_one_partition)."""

from __future__ import annotations

from shared.platform.resources import DUE_INDEX, EVENTS_TABLE, REFERRALS_TABLE


def _keys(response: dict) -> list[str]:
    return [item["sk"]["S"] for item in response["Items"]]


def test_queries_on_the_table_key_see_exactly_their_partition(moto_server) -> None:
    dynamodb = moto_server
    for pk in ("a", "b", "c"):
        for n in range(7):
            dynamodb.put_item(TableName=EVENTS_TABLE.local_name, Item={"pk": {"S": pk}, "sk": {"S": f"{pk}-{n:02d}"}, "n": {"N": str(n)}})
    query = {"TableName": EVENTS_TABLE.local_name, "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "b"}}}

    assert _keys(dynamodb.query(**query)) == [f"b-{n:02d}" for n in range(7)]
    assert _keys(dynamodb.query(**query, ScanIndexForward=False)) == [f"b-{n:02d}" for n in reversed(range(7))]
    assert dynamodb.query(**{**query, "ExpressionAttributeValues": {":pk": {"S": "nobody"}}})["Items"] == []

    # Pages: each continues where the last ended, and together they are the partition.
    first = dynamodb.query(**query, Limit=3)
    second = dynamodb.query(**query, Limit=3, ExclusiveStartKey=first["LastEvaluatedKey"])
    third = dynamodb.query(**query, Limit=3, ExclusiveStartKey=second["LastEvaluatedKey"])
    assert _keys(first) + _keys(second) + _keys(third) == [f"b-{n:02d}" for n in range(7)]

    ranged = dynamodb.query(
        TableName=EVENTS_TABLE.local_name,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        FilterExpression="n <> :skip",
        ExpressionAttributeValues={":pk": {"S": "c"}, ":low": {"S": "c-02"}, ":high": {"S": "c-05"}, ":skip": {"N": "3"}},
    )
    assert _keys(ranged) == ["c-02", "c-04", "c-05"]


def test_index_queries_still_see_every_partition(moto_server) -> None:
    dynamodb = moto_server
    for n, pk in enumerate(("ORDER#1", "ORDER#2", "REFUND#1")):
        dynamodb.put_item(
            TableName=REFERRALS_TABLE.local_name,
            Item={"pk": {"S": pk}, "sk": {"S": "META"}, DUE_INDEX.partition_key: {"S": "rewards"}, DUE_INDEX.sort_key: {"S": f"2026-11-2{n}"}},
        )
    response = dynamodb.query(
        TableName=REFERRALS_TABLE.local_name,
        IndexName=DUE_INDEX.name,
        KeyConditionExpression="#q = :q",
        ExpressionAttributeNames={"#q": DUE_INDEX.partition_key},
        ExpressionAttributeValues={":q": {"S": "rewards"}},
    )
    assert [item["pk"]["S"] for item in response["Items"]] == ["ORDER#1", "ORDER#2", "REFUND#1"]


def test_a_cancelled_transaction_leaves_every_item_as_it_was(moto_server) -> None:
    import pytest
    from botocore.exceptions import ClientError

    dynamodb = moto_server
    table = EVENTS_TABLE.local_name
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "kept"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName=REFERRALS_TABLE.local_name, Item={"pk": {"S": "ORDER#1"}, "sk": {"S": "META"}})
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "new"}}}},
                {"Update": {"TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "kept"}}, "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
                {"Put": {"TableName": REFERRALS_TABLE.local_name, "Item": {"pk": {"S": "ORDER#1"}, "sk": {"S": "META"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "p"}})["Items"]
    assert [(i["sk"]["S"], i["n"]["N"]) for i in items] == [("kept", "1")]

    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "new"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "kept"}}}},
        ]
    )
    items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "p"}})["Items"]
    assert [i["sk"]["S"] for i in items] == ["new"]
