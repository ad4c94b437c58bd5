"""The raw event archive's use cases: the writer (a batch of DynamoDB stream records to objects) and the reader
(a day's events back, for the metrics of a day older than the hot window)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shared.archive.lines import WRITTEN_CHANGES, batch_objects, day_events, day_prefix, parse
from shared.archive.repository import ArchiveObjects
from shared.platform.dynamo import deserialise
from shared.platform.event_items import has_event


class ArchiveWriter:
    def __init__(self, objects: ArchiveObjects) -> None:
        self.objects = objects

    def write(self, records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
        """Writes a batch of stream records (as Lambda delivers them). Any failure raises, so Lambda retries the
        batch (bisecting it) and the objects it rewrites have the same names."""
        images = [
            (str(record["dynamodb"]["SequenceNumber"]), deserialise(record["dynamodb"]["NewImage"]))
            for record in records
            if record.get("eventName") in WRITTEN_CHANGES and record.get("dynamodb", {}).get("NewImage")
        ]
        images = [(sequence_number, item) for sequence_number, item in images if has_event(item)]
        objects = batch_objects(images)
        for key, body in objects.items():
            self.objects.put(key, body)
        return {"records": len(images), "objects": len(objects)}


class ArchiveReader:
    """Reads one day of the archive at a time (the metrics job asks for every campaign of the same day)."""

    def __init__(self, objects: ArchiveObjects) -> None:
        self.objects = objects
        self._day: date | None = None
        self._events: dict[str, list[dict[str, Any]]] = {}

    def read(self, campaign_id: str, day: date) -> list[dict[str, Any]]:
        """The campaign's events and facts of `day`, as the events table's DayReader would have read them."""
        if day != self._day:
            lines = [line for key in sorted(self.objects.keys(day_prefix(day))) for line in parse(self.objects.get(key))]
            self._day, self._events = day, day_events(lines)
        return self._events.get(campaign_id, [])
