"""Every table and every bucket of an account, read back as text, and where given values occur in them: how the
privacy tests look for personal data (tests only: wom itself never scans)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Stored:
    place: str  # "<table>" or "s3://<bucket>"
    key: str  # the item's key, or the object's key
    text: str  # the item as JSON, or the object's key and body


def everything(dynamodb: Any, s3: Any) -> list[Stored]:
    """Every item of every table and every object of every bucket the account holds."""
    stored: list[Stored] = []
    for name in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            for raw in page["Items"]:
                item = {k: _deserializer.deserialize(v) for k, v in raw.items()}
                stored.append(Stored(name, f"{item.get('pk')} / {item.get('sk')}", json.dumps(item, default=str, ensure_ascii=False, sort_keys=True)))
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=entry["Key"])["Body"].read()
                stored.append(Stored(f"s3://{bucket['Name']}", entry["Key"], entry["Key"] + "\n" + body.decode(errors="replace")))
    return stored


def occurrences(values: Iterable[str], stored: Iterable[Stored]) -> list[tuple[str, str, str]]:
    """(value, place, key) for each stored thing that holds a value, compared without case."""
    wanted = [value for value in values if value]
    return sorted(
        (value, thing.place, thing.key)
        for thing in stored
        for value in wanted
        if value.lower() in thing.text.lower()
    )
