"""The visitor salts in their own table (no backups, shared.platform.resources.SALTS_TABLE): one random salt per UTC day."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.platform import keys
from shared.platform.dynamo import AlreadyStored, Table

# A day's visitor salt is destroyed 48 hours after that day began.
SALT_LIFETIME = timedelta(hours=48)


class VisitorSaltRepository:
    """One random salt per UTC day, shared by every function instance, expiring 48 hours after the day began."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)
        self._cache: dict[date, bytes] = {}

    def salt_for(self, day: date) -> bytes:
        if day not in self._cache:
            self._cache = {day: self._load_or_create(day)}
        return self._cache[day]

    def _read(self, day: date) -> bytes | None:
        item = self._table.get(keys.salt_key(day), consistent=True)
        return bytes.fromhex(item["salt"]) if item else None

    def _load_or_create(self, day: date) -> bytes:
        salt = self._read(day)
        if salt:
            return salt
        fresh = secrets.token_bytes(32)
        expires = datetime.combine(day, time.min, tzinfo=UTC) + SALT_LIFETIME
        try:
            self._table.put_new(keys.salt_key(day), {"kind": "salt", "salt": fresh.hex(), "expires_at": int(expires.timestamp())})
            return fresh
        except AlreadyStored:
            # Another instance made today's salt first: use theirs.
            salt = self._read(day)
            if salt is None:
                raise
            return salt

    def destroy_expired(self, now: datetime) -> int:
        """Deletes the salts of the last days whose 48 hours are over: TTL deletes them too, but DynamoDB's TTL may
        take days. (Older ones were destroyed by earlier runs or by TTL.) Says how many it deleted."""
        destroyed = 0
        for days_back in (2, 3):
            key = keys.salt_key(now.date() - timedelta(days=days_back))
            item = self._table.get(key, consistent=True)
            if item is not None and int(item["expires_at"]) <= now.timestamp():
                self._table.delete(key)
                destroyed += 1
        return destroyed
