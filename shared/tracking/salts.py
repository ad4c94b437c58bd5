"""The visitor salts in the referrals table: one random salt per UTC day."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from botocore.exceptions import ClientError

from shared.platform import keys
from shared.platform.dynamo import is_conditional_failure, serialise

# A day's visitor salt is destroyed 48 hours after that day began.
SALT_LIFETIME = timedelta(hours=48)
_NOT_EXISTS = "attribute_not_exists(pk)"


class VisitorSaltRepository:
    """One random salt per UTC day, shared by every function instance, expiring 48 hours after the day began."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._cache: dict[date, bytes] = {}

    def salt_for(self, day: date) -> bytes:
        if day not in self._cache:
            self._cache = {day: self._load_or_create(day)}
        return self._cache[day]

    def _read(self, day: date) -> bytes | None:
        response = self._client.get_item(TableName=self._table, Key=serialise(keys.salt_key(day)), ConsistentRead=True)
        item = response.get("Item")
        return bytes.fromhex(item["salt"]["S"]) if item else None

    def _load_or_create(self, day: date) -> bytes:
        salt = self._read(day)
        if salt:
            return salt
        fresh = secrets.token_bytes(32)
        expires = datetime.combine(day, time.min, tzinfo=UTC) + SALT_LIFETIME
        try:
            self._client.put_item(
                TableName=self._table,
                Item=serialise({**keys.salt_key(day), "kind": "salt", "salt": fresh.hex(), "expires_at": int(expires.timestamp())}),
                ConditionExpression=_NOT_EXISTS,
            )
            return fresh
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            # Another instance made today's salt first: use theirs.
            salt = self._read(day)
            if salt is None:
                raise
            return salt
