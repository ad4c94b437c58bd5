"""Tracking decisions: what a share, view or click becomes when recorded. Pure: no AWS, no clock of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.platform import keys
from shared.tracking.bots import is_bot, is_preview_fetcher
from shared.tracking.channels import normalise_channel
from shared.platform.clock import expiry, iso
from shared.platform.ids import new_token
from shared.platform.errors import InvalidRequest
from shared.tracking.models import LinkTarget
from shared.platform.privacy import visitor_hash

# How far a client's `occurred_at` may stray from the time wom receives the event.
OCCURRED_AT_PAST = timedelta(hours=24)
OCCURRED_AT_FUTURE = timedelta(minutes=5)


@dataclass(frozen=True)
class Visitor:
    """Who is asking, as the request shows it. Used for hashing and bot checks, then dropped."""

    ip: str
    user_agent: str
    opted_out: bool
    referrer_host: str | None = None  # the Referer's host alone: where a followed link was posted

    @property
    def bot(self) -> bool:
        return is_bot(self.user_agent)

    @property
    def preview_fetcher(self) -> bool:
        """For events posted to `POST /v1/events`: only link-preview fetchers and crawlers are flagged (SPEC §3.1)."""
        return is_preview_fetcher(self.user_agent)


@dataclass(frozen=True)
class EventRecord:
    """One item to write. `repeatable` records (clicks) add to `hits` on the same item instead of overwriting."""

    key: keys.Key
    attributes: dict[str, object] = field(default_factory=dict)  # in the domain's names (shared.platform.event_items)
    repeatable: bool = False

    @property
    def kind(self) -> str:
        return self.key["sk"].partition("#")[0]


def _base_attributes(target: LinkTarget, now: datetime, bot: bool, source: str, retention_days: int) -> dict:
    # The campaign, the day and the kind are the item's key; the code is in a click's id (and an advocate has one).
    return {
        "advocate_id": target.advocate_id,
        "at": iso(now),
        "bot": bot,
        "source": source,
        "expires_at": expiry(now, retention_days),
    }


def hashes_visitor(visitor: Visitor) -> bool:
    """Bots and visitors who asked not to be tracked get no visitor hash, so they need no salt."""
    return not (visitor.bot or visitor.opted_out)


def plan_click(
    target: LinkTarget,
    visitor: Visitor,
    salt: bytes | None,
    now: datetime,
    source: str,
    retention_days: int,
    channel: str | None = None,
) -> tuple[str, EventRecord]:
    """A click's id and record. A human visitor's repeat within the clock hour maps to the same item
    (counted once, `hits` grows); bots and opted-out visitors get an item per request, bots flagged.
    `salt` is the visitor salt of `now`'s day, needed whenever `hashes_visitor(visitor)`. The visitor hash itself
    is not stored: the click id's token is derived from it (one token per visitor, link and day)."""
    bot = visitor.bot
    hashed = None
    if hashes_visitor(visitor):
        if salt is None:
            raise ValueError("a click by a visitor who is hashed needs the day's salt")
        hashed = visitor_hash(salt, visitor.ip, visitor.user_agent, target.code)
    token = keys.visitor_click_token(hashed, now.date()) if hashed else new_token()
    click_id = keys.click_id(target.code, now, token)
    attributes = _base_attributes(target, now, bot, source, retention_days)
    # Only a followed link has a referring page that says where the link was posted (fraud review's
    # blocked_referrer); the events API's Referer is the storefront's own page.
    if visitor.referrer_host and source == "redirect":
        attributes["referrer_host"] = visitor.referrer_host
    if channel := normalise_channel(channel):
        attributes["channel"] = channel
    return click_id, EventRecord(keys.event_key(target.campaign_id, now.date(), "click", click_id), attributes, repeatable=True)


def event_time(occurred_at: datetime | None, now: datetime) -> datetime:
    """The moment an event is filed under: the client's `occurred_at` if plausible, else receipt time."""
    if occurred_at is None:
        return now
    if not (now - OCCURRED_AT_PAST <= occurred_at <= now + OCCURRED_AT_FUTURE):
        raise InvalidRequest("occurred_at must lie within the last 24 hours", code="occurred_at_out_of_range")
    return occurred_at


def plan_share_or_view(
    event_type: str,
    target: LinkTarget,
    visitor: Visitor,
    now: datetime,
    source: str,
    retention_days: int,
    channel: str | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    posted: bool = False,
) -> EventRecord:
    """With an `event_id`, a client's retry names the same item and overwrites it: recorded once. A `posted` event
    (`POST /v1/events`: servers and apps post on an advocate's behalf) is flagged only when a link-preview fetcher
    or crawler posted it; a pixel's is flagged for any bot."""
    at = event_time(occurred_at, now)
    token = keys.dedupe_token(event_type, target.code, event_id) if event_id else new_token()
    bot = visitor.preview_fetcher if posted else visitor.bot
    attributes = _base_attributes(target, at, bot, source, retention_days)
    if channel := normalise_channel(channel):
        attributes["channel"] = channel
    # The event_id is in the key (hashed into its token): a retry names the same item.
    if occurred_at is not None:
        attributes["received_at"] = iso(now)
    return EventRecord(keys.event_key(target.campaign_id, at.date(), event_type, token), attributes)
