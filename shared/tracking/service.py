"""Tracking use cases (SPEC §3.1): follow a referral link, record a pixel, record a batch of events.

Each looks up the code's target, asks the tracking rules what to record and writes it: one write per event.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

from shared.campaigns.targets import LinkTargetReader
from shared.platform.clock import Clock
from shared.platform.errors import WomError
from shared.platform.ids import is_valid_code
from shared.platform.observability import tracking_logger as logger
from shared.tracking.links import referral_redirect_url
from shared.tracking.models import EventBatchResult, InvalidEvent, LinkTarget, RejectedEvent, pixel_query, tracked_event
from shared.tracking.repository import EventRepository
from shared.tracking.rules import EventRecord, Visitor, event_time, hashes_visitor, plan_click, plan_share_or_view
from shared.tracking.salts import VisitorSaltRepository

# Codes resolve to the same target for long stretches; a short cache spares a read pair per click.
LINK_TARGET_TTL_SECONDS = 60


class LinkTargets:
    """What codes resolve to, cached per function instance for a minute (so a code erased or disabled stops
    resolving within that minute)."""

    def __init__(self, campaigns: LinkTargetReader, clock: Clock) -> None:
        self._campaigns = campaigns
        # On the one clock, so a test (or a job run "as of" a time) sees an erased or disabled code stop resolving.
        self._cache: TTLCache = TTLCache(maxsize=4096, ttl=LINK_TARGET_TTL_SECONDS, timer=lambda: clock().timestamp())
        self._lock = threading.Lock()  # local mode serves requests from several threads

    def find(self, code: str) -> LinkTarget | None:
        if not is_valid_code(code):
            return None
        with self._lock:
            if code in self._cache:
                return self._cache[code]
        target = self._campaigns.find_link_target(code)
        with self._lock:
            self._cache[code] = target
        return target


@dataclass(frozen=True)
class Redirect:
    location: str
    click_id: str


class TrackingService:
    def __init__(
        self,
        targets: LinkTargets,
        events: EventRepository,
        salts: VisitorSaltRepository,
        clock: Clock,
        retention_days: int,
    ) -> None:
        self.targets = targets
        self.events = events
        self.salts = salts
        self.clock = clock
        self.retention_days = retention_days

    def _salt(self, visitor: Visitor, now) -> bytes | None:  # noqa: ANN001 - a datetime
        return self.salts.salt_for(now.date()) if hashes_visitor(visitor) else None

    def record_click(self, code: str, visitor: Visitor, record: bool = True) -> Redirect | None:
        """Where a referral link leads, with its click recorded (unless `record` is off: a HEAD check); None for
        an unknown or disabled code. A failed write never stops the visitor: they are still redirected."""
        target = self.targets.find(code)
        if target is None:
            return None
        now = self.clock()
        click_id, click = plan_click(target, visitor, self._salt(visitor, now), now, "redirect", self.retention_days)
        if record:
            try:
                self.events.record(click)
            except Exception:
                logger.exception("click not recorded", extra={"code": code})
        return Redirect(referral_redirect_url(target.destination_url, code, click_id), click_id)

    def record_pixel(self, query: Mapping[str, str], visitor: Visitor) -> bool:
        """Records a pixel's share or view when its query is valid and names a known code; says whether it did."""
        pixel = pixel_query(dict(query))
        if pixel is None:
            return False
        target = self.targets.find(pixel.c)
        if target is None:
            return False
        record = plan_share_or_view(pixel.t, target, visitor, self.clock(), "pixel", self.retention_days, channel=pixel.ch)
        try:
            self.events.record(record)
        except Exception:
            logger.exception("pixel event not recorded", extra={"code": pixel.c})
            return False
        return True

    def _plan_event(self, raw: Any, visitor: Visitor, now) -> EventRecord:  # noqa: ANN001 - a datetime
        event = tracked_event(raw)
        target = self.targets.find(event.code)
        if target is None:
            raise WomError(f"unknown referral code {event.code!r}", code="unknown_code")
        if event.type == "click":
            event_time(event.occurred_at, now)
            return plan_click(target, visitor, self._salt(visitor, now), now, "api", self.retention_days, channel=event.channel)[1]
        return plan_share_or_view(
            event.type, target, visitor, now, "api", self.retention_days,
            channel=event.channel, occurred_at=event.occurred_at, event_id=event.event_id,
        )

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
        self.events.record_many(records)
        return EventBatchResult(accepted=len(records), rejected=rejected)
