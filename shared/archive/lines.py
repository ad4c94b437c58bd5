"""The raw event archive's objects (SPEC §5): what a batch of stream records becomes, and back.

One gzip JSON Lines object per day a batch holds, at `events/dt=<day>/<sequence number>.json.gz`, where the day
is the one the event is filed under (its metrics day) and the number is the stream sequence number of that day's
first record in the batch. So a redelivered batch overwrites its own objects, and when Lambda bisects a failing
batch, the half that starts where the batch did overwrites the object the whole batch may have left, while the
other half starts objects of its own: a record is never in two objects for long, nor in none.

Each line is one stream record: a share, a view, a fact, or one request of a click (its item's image after that
request, with the click's first `at`, this request's `last_at` and the `hits` so far), plus `seq`, the record's
sequence number. Reading a day back keeps, per event, the line with the highest `seq`: the item as it was last.

Pure: no AWS, no clock.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shared.platform import keys
from shared.platform.event_items import archive_line, event_day, event_from_archive
from shared.platform.resources import ARCHIVE_PREFIX

# Every field a line may have, with its Athena (Glue) type: the raw events table's columns. A line has the fields
# of its kind only (a click has no amount, a conversion no hits); Athena reads the others as null.
FIELDS: tuple[tuple[str, str], ...] = (
    ("kind", "string"),  # share, view, click, conversion, survey_answer, repeat_purchase, refund, reward_created, reward_held, reward_voided
    ("campaign_id", "string"),  # null for a conversion no campaign claims
    ("date", "string"),  # the day it is filed under (= dt)
    ("id", "string"),  # the event's id: a click id, a share's or view's token, a conversion, refund or reward id
    ("at", "string"),
    ("advocate_id", "string"),
    ("bot", "boolean"),
    ("source", "string"),  # redirect, pixel or api
    ("channel", "string"),
    ("received_at", "string"),
    ("click_id", "string"),
    ("code", "string"),
    ("referrer_host", "string"),  # a followed link's referring page's host (fraud review's blocked_referrer)
    ("hits", "bigint"),  # a click's requests so far: 1 on its first line, 2 on the next...
    ("last_at", "string"),  # this request's time, for a click
    ("conversion_id", "string"),
    ("refund_id", "string"),
    ("reward_id", "string"),
    ("status", "string"),
    ("conversion_status", "string"),
    ("amount", "bigint"),
    ("currency", "string"),
    ("new_customer", "boolean"),
    ("heard_from", "string"),  # the survey answer: of a survey_answer, or of a conversion no campaign claims
    ("recipient", "string"),
    ("seq", "string"),  # the stream record's sequence number: unique per line
)
SEQUENCE_DIGITS = 40  # stream sequence numbers are decimal strings of up to 40 digits: padded, names sort as numbers
WRITTEN_CHANGES = ("INSERT", "MODIFY")  # a REMOVE is the TTL ending the hot window, not an event


def day_prefix(day: date) -> str:
    return f"{ARCHIVE_PREFIX}dt={day.isoformat()}/"


def object_key(day: date, first_sequence_number: str) -> str:
    return f"{day_prefix(day)}{int(first_sequence_number):0{SEQUENCE_DIGITS}d}.json.gz"


def render(lines: Iterable[Mapping[str, Any]]) -> bytes:
    """gzip without a timestamp in its header: the same lines, the same bytes."""
    text = "".join(json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for line in lines)
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def parse(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines() if line]


def batch_objects(images: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, bytes]:
    """The objects for a batch of (sequence number, item image) in stream order: one per day, keyed by name."""
    by_day: dict[date, list[dict[str, Any]]] = {}
    first: dict[date, str] = {}
    for sequence_number, item in images:
        day = event_day(item)
        first.setdefault(day, sequence_number)
        by_day.setdefault(day, []).append({**archive_line(item), "seq": sequence_number})
    return {object_key(day, first[day]): render(lines) for day, lines in by_day.items()}


def _event_key(line: Mapping[str, Any]) -> tuple[str, str, str]:
    return (line.get("campaign_id") or keys.UNATTRIBUTED, str(line["kind"]), str(line["id"]))


def day_events(lines: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A day's lines as the events table held them at the end: by campaign (UNATTRIBUTED for conversions no
    campaign claims), each event once, as of its latest line, in the names read_event gives."""
    latest: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for line in lines:
        key = _event_key(line)
        if key not in latest or int(line["seq"]) > int(latest[key]["seq"]):
            latest[key] = line
    events: dict[str, list[dict[str, Any]]] = {}
    for (campaign, _, _), line in sorted(latest.items()):
        events.setdefault(campaign, []).append(event_from_archive(line))
    return events
