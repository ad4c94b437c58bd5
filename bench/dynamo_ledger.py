"""Counts the DynamoDB calls a client makes, and the capacity they cost, through botocore's event hooks.

Two figures per call:
- `reported_units`: what the service returns with ReturnConsumedCapacity=TOTAL (the ledger adds the
  parameter to every call). Under moto this is a constant per call (1.0 a write, 0.5 a read, nothing for
  a transaction), whatever the item size, so it is shown but not priced.
- `write_units`, `index_write_units` and `read_units`: computed from item sizes by DynamoDB's published
  rules, which is what the cost section prices. A write costs one unit per started KB of the larger of
  the item before and after it (two in a transaction); each global secondary index the item enters,
  leaves or changes in costs one standard write per started KB of the projected item (ALL projection
  here); a read costs one unit per started 4 KB (strongly consistent), half that eventually consistent,
  twice that in a transaction, and at least the minimum even when nothing is found.
The before and after images of written items come from a second client that the ledger does not count.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.platform.resources import TableDefinition

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
_OPERATIONS_WITH_CAPACITY = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").split("e")[0].split("E")[0].replace(".", "").strip("0")
    return math.ceil(max(len(digits), 1) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's low-level JSON form ({"S": ...}, {"N": ...}, ...)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(str(inner))
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_number_size(str(v)) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return 3 + sum(value_size(v) for v in inner)
    if kind == "M":
        return 3 + item_size(inner)
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item as DynamoDB sizes it: attribute names (UTF-8) plus values."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, transactional: bool = False) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2 if transactional else 1)


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return units * 2.0
    return float(units) if consistent else units / 2


@dataclass(frozen=True)
class WrittenItem:
    table: str
    size: int  # the larger of before and after
    created: bool  # no item had that key before


@dataclass
class Call:
    operation: str
    ok: bool = True
    write_units: float = 0.0
    index_write_units: float = 0.0
    read_units: float = 0.0
    items_read: int = 0
    reported_units: float = 0.0
    written: list[WrittenItem] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.written)


@dataclass(frozen=True)
class Tally:
    """What a stretch of calls cost."""

    calls: int
    write_calls: int
    operations: dict[str, int]
    write_units: float
    index_write_units: float
    read_units: float
    items_read: int
    reported_units: float
    written: tuple[WrittenItem, ...]

    @classmethod
    def of(cls, calls: Iterable[Call]) -> Tally:
        calls = list(calls)
        return cls(
            calls=len(calls),
            write_calls=sum(1 for c in calls if c.writes),
            operations=dict(Counter(c.operation for c in calls)),
            write_units=sum(c.write_units for c in calls),
            index_write_units=sum(c.index_write_units for c in calls),
            read_units=sum(c.read_units for c in calls),
            items_read=sum(c.items_read for c in calls),
            reported_units=sum(c.reported_units for c in calls),
            written=tuple(w for c in calls for w in c.written),
        )


@dataclass(frozen=True)
class _Target:
    table: str
    key: dict[str, Any]
    transactional: bool


class DynamoLedger:
    """Attach to the client the code under measurement uses; `inspector` is any other client of the same tables."""

    def __init__(self, client: Any, inspector: Any, tables: Iterable[TableDefinition]) -> None:
        self.calls: list[Call] = []
        self._inspector = inspector
        self._tables = {table.local_name: table for table in tables}
        # Per thread: a call's before- and after-hooks run on the thread that makes it (the metrics job reads a
        # day's partitions from several threads at once).
        self._threads = threading.local()
        self._lock = threading.Lock()
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> Tally:
        return Tally.of(self.calls[mark:])

    # -- hooks ---------------------------------------------------------------------------------------

    def _before(self, params: dict, model: Any, **_: Any) -> None:
        operation = model.name
        if operation in _OPERATIONS_WITH_CAPACITY:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        targets = [(target, self._image(target)) for target in self._targets(operation, params)]
        self._threads.pending = (operation, dict(params), targets)

    def _after(self, http_response: Any, parsed: dict, model: Any, **_: Any) -> None:
        pending = getattr(self._threads, "pending", None)
        if pending is None or pending[0] != model.name:
            return
        operation, params, targets = pending
        self._threads.pending = None
        call = Call(operation=operation, ok=http_response.status_code < 300, reported_units=_reported(parsed))
        for target, before in targets:
            after = self._image(target)
            size = max(item_size(before), item_size(after))
            call.write_units += write_units(size, target.transactional)
            call.index_write_units += self._index_units(target.table, before, after)
            call.written.append(WrittenItem(target.table, size, before is None and after is not None))
        if call.ok:
            self._count_reads(call, operation, params, parsed)
        with self._lock:
            self.calls.append(call)

    # -- writes --------------------------------------------------------------------------------------

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        definition = self._tables.get(table)
        names = (definition.partition_key, definition.sort_key) if definition else ("pk", "sk")
        return {name: item[name] for name in names if name and name in item}

    def _targets(self, operation: str, params: dict) -> list[_Target]:
        if operation == "PutItem":
            return [_Target(params["TableName"], self._key_of(params["TableName"], params["Item"]), False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [_Target(params["TableName"], params["Key"], False)]
        if operation == "BatchWriteItem":
            return [
                _Target(table, self._key_of(table, r["PutRequest"]["Item"]) if "PutRequest" in r else r["DeleteRequest"]["Key"], False)
                for table, requests in params["RequestItems"].items()
                for r in requests
            ]
        if operation == "TransactWriteItems":
            targets = []
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                key = self._key_of(body["TableName"], body["Item"]) if kind == "Put" else body["Key"]
                targets.append(_Target(body["TableName"], key, True))
            return targets
        return []

    def _image(self, target: _Target) -> dict | None:
        response = self._inspector.get_item(TableName=target.table, Key=target.key, ConsistentRead=True)
        return response.get("Item")

    def _index_units(self, table: str, before: dict | None, after: dict | None) -> float:
        definition = self._tables.get(table)
        units = 0.0
        for index in definition.indexes if definition else ():
            names = (index.partition_key, index.sort_key)
            was_in = bool(before) and all(name in before for name in names)
            is_in = bool(after) and all(name in after for name in names)
            if was_in and is_in and any(before[n] != after[n] for n in names):
                units += write_units(item_size(before)) + write_units(item_size(after))  # delete + put
            elif is_in and before != after:
                units += write_units(max(item_size(before) if was_in else 0, item_size(after)))
            elif was_in and not is_in:
                units += write_units(item_size(before))
        return units

    # -- reads ---------------------------------------------------------------------------------------

    def _count_reads(self, call: Call, operation: str, params: dict, parsed: dict) -> None:
        if operation == "GetItem":
            item = parsed.get("Item")
            call.items_read += 1 if item else 0
            call.read_units += read_units(item_size(item), bool(params.get("ConsistentRead")))
        elif operation in ("Query", "Scan"):
            items = parsed.get("Items", [])
            call.items_read += int(parsed.get("ScannedCount", len(items)))
            call.read_units += read_units(sum(item_size(i) for i in items), bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = bool(params["RequestItems"].get(table, {}).get("ConsistentRead"))
                call.items_read += len(items)
                call.read_units += sum(read_units(item_size(i), consistent) for i in items)
        elif operation == "TransactGetItems":
            for response in parsed.get("Responses", []):
                item = response.get("Item")
                call.items_read += 1 if item else 0
                call.read_units += read_units(item_size(item), True, transactional=True)


def _reported(parsed: dict) -> float:
    consumed = parsed.get("ConsumedCapacity")
    if isinstance(consumed, dict):
        consumed = [consumed]
    return float(sum(Decimal(str(entry.get("CapacityUnits", 0))) for entry in consumed or []))
