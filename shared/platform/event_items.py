"""The events table's items, written and read in one place: the only module that knows their stored names.

An event item stores nothing its key or its click id already says: the key holds the campaign, the day and
the kind (`pk = <campaign_id>#<YYYY-MM-DD>#<shard>`, `sk = <kind>#<id>`), a click id holds the code, the hour
and the visitor's token for that link and day. The attributes every share, view and click carries get
one-letter names (most of an item's bytes were its attribute names); the rarer facts keep readable ones.

`stored_attributes` turns what the rules and facts decide (in the domain's names) into an item's attributes;
`read_event` turns an item back into those names, with what the key says added. The metrics job, the
conversions' click lookup, the archive writer and the tests all read items through `read_event`.

Pure: no AWS, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from shared.platform import keys

# Domain name -> stored name, for the attributes of every tracked event (and the two facts share).
SHORT_NAMES: dict[str, str] = {
    "advocate_id": "a",
    "at": "t",
    "bot": "b",
    "source": "s",
    "channel": "c",
    "hits": "h",
    "last_at": "l",
    "received_at": "r",
}
LONG_NAMES = {short: name for name, short in SHORT_NAMES.items()}
# What the key already holds (or a click id does), never stored as an attribute.
KEY_HELD = frozenset({"kind", "campaign_id", "click_id", "code", "visitor"})
# The id in the sort key names these, so a fact stores it only in its key.
ID_OF_KIND = {"conversion": "conversion_id", "survey_answer": "conversion_id", "repeat_purchase": "conversion_id", "refund": "refund_id", "reward_created": "reward_id", "reward_voided": "reward_id"}
TRACKED_KINDS = frozenset({"share", "view", "click"})


def stored_name(name: str) -> str:
    return SHORT_NAMES.get(name, name)


def stored_attributes(kind: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """An item's attributes for an event of `kind`: what the key or click id holds left out, None and a false
    `bot` left out (absent means not a bot), short names where they apply."""
    dropped = KEY_HELD | {ID_OF_KIND.get(kind, "")}
    stored = {}
    for name, value in attributes.items():
        if name in dropped or value is None or (name == "bot" and value is False):
            continue
        stored[stored_name(name)] = value
    return stored


def read_event(item: Mapping[str, Any]) -> dict[str, Any]:
    """An event item (or a stream image of one) in the domain's names: `kind`, `campaign_id` (None for a
    conversion no campaign claims), `date`, `id`, then its attributes; a click also has `click_id`, `code`, `hits`
    and `visitor` (the click id's token: the same for one visitor on one link all day, a fresh one for each click
    of a bot or of a visitor who asked not to be tracked, who are each a visitor of their own)."""
    campaign, day, _shard = str(item["pk"]).rsplit("#", 2)
    kind, _, event_id = str(item["sk"]).partition("#")
    event: dict[str, Any] = {
        "kind": kind,
        "campaign_id": None if campaign == keys.UNATTRIBUTED else campaign,
        "date": day,
        "id": event_id,
    }
    for name, value in item.items():
        if name not in ("pk", "sk"):
            event[LONG_NAMES.get(name, name)] = value
    return _with_derived(event)


def _with_derived(event: dict[str, Any]) -> dict[str, Any]:
    """What an event says without storing it: defaults, the fact's own id, and what a click id holds."""
    kind, event_id = event["kind"], event["id"]
    event["bot"] = bool(event.get("bot", False))
    if kind in ID_OF_KIND:
        event[ID_OF_KIND[kind]] = event_id
    if kind == "click":
        reference = keys.parse_click_id(event_id)
        event["click_id"] = event_id
        event["code"] = reference.code if reference else None
        event["hits"] = int(event.get("hits", 1))
        event["visitor"] = None if event["bot"] else keys.click_token(event_id)
    return event


# An archive line holds the event as read_event gives it, less what leads to a visitor or only DynamoDB needs:
# no visitor token (a click's id still carries it, under a salt destroyed 48 hours after its day) and no TTL.
ARCHIVE_LEFT_OUT = frozenset({"visitor", "expires_at"})


def archive_line(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the raw event archive keeps of an item (or a stream image of one), in the domain's names."""
    return {name: value for name, value in read_event(item).items() if name not in ARCHIVE_LEFT_OUT}


def event_from_archive(line: Mapping[str, Any]) -> dict[str, Any]:
    """An archived line as read_event would have read the item it came from."""
    return _with_derived({name: value for name, value in line.items() if name != "seq"})


def has_event(item: Mapping[str, Any]) -> bool:
    """Whether an item image holds an event: every event and fact has its time. (moto streams an UpdateItem that
    creates an item as two records, the first with the bare key.)"""
    return stored_name("at") in item


def event_day(item: Mapping[str, Any]) -> date:
    """The day an item is filed under (its key's day): the day whose metrics it counts in."""
    return date.fromisoformat(str(item["pk"]).rsplit("#", 2)[1])
