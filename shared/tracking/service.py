"""Tracking use cases (SPEC §3.1): follow a referral link, record a pixel, record a batch of events.

Each looks up the code's target, asks the tracking rules what to record and writes it: one write per event.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cachetools import LRUCache, TTLCache

from shared.campaigns.targets import LinkTargetReader
from shared.platform import keys
from shared.platform.clock import Clock
from shared.platform.errors import WomError
from shared.platform.ids import is_valid_code, new_token
from shared.platform.observability import tracking_logger as logger
from shared.tracking.links import referral_redirect_url
from shared.tracking.models import EventBatchResult, InvalidEvent, LinkTarget, RejectedEvent, pixel_query, tracked_event
from shared.tracking.repository import EventRepository
from shared.tracking.rules import EventRecord, Visitor, event_time, hashes_visitor, plan_click, plan_share_or_view
from shared.tracking.salts import VisitorSaltRepository
from shared.tracking.spill import SpillQueue

# Codes resolve to the same target for long stretches; a short cache spares a read pair per click.
LINK_TARGET_TTL_SECONDS = 60
# While the salts table fails, how long an instance uses its interim salt before reading the table again.
SALT_RETRY_SECONDS = 10


class TargetUnavailable(Exception):
    """A code's target could not be read (storage failing) and this instance has never known it."""


class LinkTargets:
    """What codes resolve to, cached per function instance for a minute (so a code erased or disabled stops
    resolving within that minute). While storage fails, a code this instance resolved before keeps its last
    known target (a redirect to the right place beats a fallback page); one it never knew raises TargetUnavailable."""

    def __init__(self, campaigns: LinkTargetReader, clock: Clock) -> None:
        self._campaigns = campaigns
        # On the one clock, so a test (or a job run "as of" a time) sees an erased or disabled code stop resolving.
        self._cache: TTLCache = TTLCache(maxsize=4096, ttl=LINK_TARGET_TTL_SECONDS, timer=lambda: clock().timestamp())
        self._last_known: LRUCache = LRUCache(maxsize=4096)
        self._lock = threading.Lock()  # local mode serves requests from several threads

    def find(self, code: str) -> LinkTarget | None:
        if not is_valid_code(code):
            return None
        with self._lock:
            if code in self._cache:
                return self._cache[code]
        try:
            target = self._campaigns.find_link_target(code)
        except Exception as error:
            with self._lock:
                if code in self._last_known:
                    logger.warning("code lookup failed; its last known target used", extra={"code": code, "error": type(error).__name__})
                    return self._last_known[code]
            raise TargetUnavailable(code) from error
        with self._lock:
            self._cache[code] = self._last_known[code] = target
        return target


def pending_target(code: str) -> LinkTarget:
    """Stands in for a code's target while it cannot be read: events planned with it carry the code and are
    spilled, and the replay files them under the code's campaign and advocate."""
    return LinkTarget(code=code, campaign_id=keys.PENDING_CAMPAIGN, advocate_id="", destination_url="")


def is_pending(record: EventRecord) -> bool:
    return record.key["pk"].startswith(keys.PENDING_CAMPAIGN + "#")


@dataclass(frozen=True)
class Redirect:
    location: str
    click_id: str


class InterimSalts:
    """The day's visitor salts, and a salt of this instance's own while the salts table cannot be read.

    An interim salt lives in this instance's memory only (never stored, never spilled), so a visitor hashed under
    it is as unlinkable as under the day's salt; a repeat click on another instance, or once the table answers,
    is then a visitor of its own for that hour (counted as a click again) rather than a lost click.
    """

    def __init__(self, salts: VisitorSaltRepository, clock: Clock) -> None:
        self._salts = salts
        self._clock = clock
        self._interim: dict[date, tuple[bytes, float]] = {}  # day -> (salt, when to try the table again)
        self._lock = threading.Lock()

    def salt_for(self, day: date) -> bytes:
        now = self._clock().timestamp()
        with self._lock:
            interim = self._interim.get(day)
            if interim is not None and now < interim[1]:
                return interim[0]
        try:
            salt = self._salts.salt_for(day)
        except Exception as error:  # noqa: BLE001 - storage failing any way: the click still counts
            with self._lock:
                kept = self._interim.get(day)
                salt = kept[0] if kept else secrets.token_bytes(32)
                self._interim = {day: (salt, now + SALT_RETRY_SECONDS)}
            logger.warning("visitor salt unreadable; an interim salt of this instance used", extra={"error": type(error).__name__})
            return salt
        with self._lock:
            self._interim.pop(day, None)
        return salt


class TrackingService:
    def __init__(
        self,
        targets: LinkTargets,
        events: EventRepository,
        salts: VisitorSaltRepository,
        clock: Clock,
        retention_days: int,
        spill: SpillQueue,
    ) -> None:
        self.targets = targets
        self.events = events
        self.salts = InterimSalts(salts, clock)
        self.clock = clock
        self.retention_days = retention_days
        self.spill = spill

    def _salt(self, visitor: Visitor, now) -> bytes | None:  # noqa: ANN001 - a datetime
        return self.salts.salt_for(now.date()) if hashes_visitor(visitor) else None

    def _record(self, record: EventRecord) -> None:
        """One write; if it fails, the event is spilled (never raises)."""
        try:
            self.events.record(record)
        except Exception as error:  # noqa: BLE001 - throttled, unavailable, timed out: the spill keeps it
            self.spill.keep([record], new_token(), error)

    def record_click(self, code: str, visitor: Visitor, record: bool = True) -> Redirect | None:
        """Where a referral link leads, with its click recorded (unless `record` is off: a HEAD check); None for
        an unknown or disabled code; TargetUnavailable when storage fails and this instance never knew the code.
        A failed write never stops the visitor: they are redirected and the click is spilled."""
        target = self.targets.find(code)
        if target is None:
            return None
        now = self.clock()
        click_id, click = plan_click(target, visitor, self._salt(visitor, now), now, "redirect", self.retention_days)
        if record:
            self._record(click)
        return Redirect(referral_redirect_url(target.destination_url, code, click_id), click_id)

    def _target_or_pending(self, code: str) -> tuple[LinkTarget | None, bool]:
        """A code's target, or a pending one (True) while storage fails: the replay looks the code up."""
        try:
            return self.targets.find(code), False
        except TargetUnavailable:
            return pending_target(code), True

    def record_pixel(self, query: Mapping[str, str], visitor: Visitor) -> bool:
        """Records a pixel's share or view when its query is valid and names a known code; says whether it did."""
        pixel = pixel_query(dict(query))
        if pixel is None:
            return False
        target, pending = self._target_or_pending(pixel.c)
        if target is None:
            return False
        record = plan_share_or_view(pixel.t, target, visitor, self.clock(), "pixel", self.retention_days, channel=pixel.ch)
        if pending:
            record.attributes["code"] = pixel.c  # for the replay's lookup; never stored (the key holds it)
            self.spill.keep([record], new_token(), TargetUnavailable(pixel.c))
        else:
            self._record(record)
        return True

    def _plan_event(self, raw: Any, visitor: Visitor, now) -> EventRecord:  # noqa: ANN001 - a datetime
        event = tracked_event(raw)
        target, pending = self._target_or_pending(event.code)
        if target is None:
            raise WomError(f"unknown referral code {event.code!r}", code="unknown_code")
        if event.type == "click":
            event_time(event.occurred_at, now)
            record = plan_click(target, visitor, self._salt(visitor, now), now, "api", self.retention_days, channel=event.channel)[1]
        else:
            record = plan_share_or_view(
                event.type, target, visitor, now, "api", self.retention_days,
                channel=event.channel, occurred_at=event.occurred_at, event_id=event.event_id, posted=True,
            )
        if pending:
            record.attributes["code"] = event.code  # for the replay's lookup; never stored (the key holds it)
        return record

    def record_events(self, events: list[Any], visitor: Visitor) -> EventBatchResult:
        """Every valid event of the batch is recorded; each invalid one is rejected with its index and reason."""
        now = self.clock()
        records: list[EventRecord] = []
        rejected: list[RejectedEvent] = []
        for index, raw in enumerate(events):
            try:
                records.append(self._plan_event(raw, visitor, now))
            except InvalidEvent as error:
                rejected.append(RejectedEvent(index=index, error={"code": "invalid_event", "message": error.message}))
            except WomError as error:
                rejected.append(RejectedEvent(index=index, error={"code": error.code, "message": error.message}))
        pending = [r for r in records if is_pending(r)]
        unwritten, error = self.events.record_many([r for r in records if not is_pending(r)])
        unwritten += pending
        if unwritten:
            self.spill.keep(unwritten, new_token(), error or RuntimeError("unwritten"))
        return EventBatchResult(accepted=len(records), rejected=rejected)
