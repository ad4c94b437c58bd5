"""The metrics job (SPEC §5): every campaign's daily metrics object, and its advocates' daily counts.

A run recomputes today and yesterday (UTC); any past day can be recomputed on demand. Each campaign-day is
read from its own partitions of the events table, so a run costs what those days hold, whatever the table's
size. Recomputing is safe at any time: the same events give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.platform import keys
from shared.metrics.daily import Unattributed, advocate_daily_counts, daily_metrics, object_key, render
from shared.platform.observability import logger
from shared.metrics.repository import AdvocateDailyCounts, DayReader, MetricsObjects
from shared.campaigns.repository import CampaignRepository


@dataclass
class MetricsRunSummary:
    days: list[str] = field(default_factory=list)
    objects_written: int = 0
    items_read: int = 0
    advocates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class MetricsJob:
    def __init__(self, campaigns: CampaignRepository, days: DayReader, objects: MetricsObjects, advocate_days: AdvocateDailyCounts) -> None:
        self.campaigns = campaigns
        self.days = days
        self.objects = objects
        self.advocate_days = advocate_days

    def run(self, now: datetime) -> dict[str, Any]:
        """The scheduled run: yesterday (its late events and rewards) and today so far."""
        today = now.date()
        return self.run_days([today - timedelta(days=1), today])

    def run_days(self, days: list[date]) -> dict[str, Any]:
        summary = MetricsRunSummary()
        campaigns = self.campaigns.list_campaigns()
        for day in days:
            self._run_day(day, campaigns, summary)
        return summary.as_dict()

    def _run_day(self, day: date, campaigns: list[dict[str, Any]], summary: MetricsRunSummary) -> None:
        summary.days.append(day.isoformat())
        unattributed_items = self.days.read(keys.UNATTRIBUTED, day)
        summary.items_read += len(unattributed_items)
        unattributed = Unattributed.of(unattributed_items)
        for campaign in campaigns:
            # A campaign has no object for the days before it existed.
            if campaign["created_at"][:10] > day.isoformat():
                continue
            items = self.days.read(campaign["campaign_id"], day)
            summary.items_read += len(items)
            metrics = daily_metrics(campaign["campaign_id"], campaign["currency"], day, items, unattributed)
            self.objects.put(object_key(campaign["campaign_id"], day), render(metrics))
            counts = advocate_daily_counts(items)
            self.advocate_days.save(day, counts)
            summary.objects_written += 1
            summary.advocates += len(counts)
        logger.info("metrics computed", extra={"day": day.isoformat(), "campaigns": len(campaigns)})
