"""The metrics job (SPEC §5): every campaign's daily metrics object, and its advocates' daily counts.

A run recomputes today and yesterday (UTC); any past day can be recomputed on demand. Each campaign-day is
read from its own partitions of the events table, so a run costs what those days hold, whatever the table's
size; a day older than the hot window (whose events the table no longer holds) is read from the raw event
archive instead, through the same pure computation. Recomputing is safe at any time: the same events give the
same bytes.

A campaign-day the job cannot compute (its data is not what the job expects) is set aside with its reason and the
run goes on with the other campaigns and days (SPEC §4); a retry run computes the set-aside days again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from shared.platform import keys
from shared.platform.clock import Clock, iso
from shared.platform.dynamo import is_transient
from shared.metrics import cohorts
from shared.metrics.daily import Enrolment, Unattributed, advocate_daily_counts, daily_metrics, object_key, render
from shared.metrics.ledger import CustomerLedger
from shared.platform.observability import logger
from shared.metrics.repository import AdvocateDailyCounts, DayReader, MetricsObjects, SetAsideDays
from shared.campaigns.repository import CampaignRepository


@dataclass
class MetricsRunSummary:
    days: list[str] = field(default_factory=list)
    objects_written: int = 0
    items_read: int = 0
    advocates: int = 0
    set_aside: int = 0  # campaign-days this run could not compute
    set_aside_items: list[dict[str, str]] = field(default_factory=list)
    retried: int = 0  # set-aside campaign-days computed again by this run
    cohorts_written: int = 0
    cohort_items_read: int = 0  # ledger items read for the cohorts: their customers, nothing else

    def as_dict(self) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, list) else value for name, value in self.__dict__.items()}


class EventsOfADay(Protocol):
    def read(self, campaign_id: str, day: date) -> list[dict[str, Any]]: ...


class MetricsJob:
    def __init__(
        self,
        campaigns: CampaignRepository,
        days: DayReader,
        objects: MetricsObjects,
        advocate_days: AdvocateDailyCounts,
        set_aside: SetAsideDays,
        clock: Clock,
        archive: EventsOfADay | None = None,
        hot_event_days: int | None = None,
        ledger: CustomerLedger | None = None,
    ) -> None:
        self.campaigns = campaigns
        self.days = days
        self.objects = objects
        self.advocate_days = advocate_days
        self.set_aside_days = set_aside
        self.clock = clock
        self.archive = archive
        self.hot_event_days = hot_event_days
        self.ledger = ledger

    def run(self, now: datetime) -> dict[str, Any]:
        """The scheduled run: yesterday (its late events and rewards) and today so far, and the cohorts whose
        horizons moved (shared.metrics.cohorts.months_to_recompute)."""
        today = now.date()
        summary = self.run_days([today - timedelta(days=1), today], now)
        if self.ledger is not None:
            done = self.run_cohorts(cohorts.months_to_recompute(today), now)
            summary |= {"cohorts_written": done["cohorts_written"], "cohort_items_read": done["cohort_items_read"]}
        return summary

    def run_cohorts(self, months: list[str], now: datetime | None = None) -> dict[str, Any]:
        """Each campaign's cohort object of each month (from the campaign's first month on), as of `now`'s day.
        Reads each month's not-referred cohort once and each campaign's referred cohort: their customers' ledgers."""
        if self.ledger is None:
            raise RuntimeError("the metrics job was built without the customer ledger")
        summary = MetricsRunSummary()
        as_of = (now or self.clock()).date()
        campaigns = self.campaigns.list_campaigns()
        for month in months:
            chosen = [c for c in campaigns if c["created_at"][:7] <= month]
            if not chosen or month > cohorts.month_of(as_of):
                continue
            members, erased, read = self.ledger.cohort(keys.NOT_REFERRED_COHORT, month)
            summary.cohort_items_read += read
            for campaign in chosen:
                not_referred = cohorts.cohort_group(members, erased, campaign["currency"], month, as_of)
                own, own_erased, own_read = self.ledger.cohort(campaign["campaign_id"], month)
                summary.cohort_items_read += own_read
                referred = cohorts.cohort_group(own, own_erased, campaign["currency"], month, as_of)
                body = cohorts.render(cohorts.cohort_object(campaign["campaign_id"], campaign["currency"], month, referred, not_referred, as_of))
                self.objects.put(cohorts.object_key(campaign["campaign_id"], month), body)
                summary.cohorts_written += 1
        logger.info("cohorts computed", extra={"months": months, "cohorts": summary.cohorts_written})
        return summary.as_dict()

    def run_days(self, days: list[date], now: datetime | None = None) -> dict[str, Any]:
        """A day older than the hot window as of `now` (default: the clock) is read from the archive."""
        summary = MetricsRunSummary()
        campaigns = self.campaigns.list_campaigns()
        for day in days:
            self._run_day(day, campaigns, summary, now)
        return summary.as_dict()

    def _reader_for(self, day: date, now: datetime | None) -> EventsOfADay:
        # An event of `day` expires hot_event_days after it happened: from then on the table may hold only part of it.
        today = (now or self.clock()).date()
        if self.archive is not None and self.hot_event_days and day <= today - timedelta(days=self.hot_event_days):
            return self.archive
        return self.days

    def retry_set_aside(self) -> dict[str, Any]:
        """Computes every set-aside campaign-day again; those that now succeed are no longer set aside."""
        summary = MetricsRunSummary()
        wanted: dict[date, set[str]] = {}
        for entry in self.set_aside_days.all():
            wanted.setdefault(date.fromisoformat(entry["date"]), set()).add(entry["campaign_id"])
        campaigns = self.campaigns.list_campaigns()
        for day, campaign_ids in sorted(wanted.items()):
            chosen = [c for c in campaigns if c["campaign_id"] in campaign_ids]
            before = summary.set_aside
            self._run_day(day, chosen, summary)
            failed = {item["campaign_id"] for item in summary.set_aside_items[before:]}
            for campaign_id in campaign_ids - failed:
                self.set_aside_days.remove(campaign_id, day)  # computed now (or its campaign is gone)
                summary.retried += 1
        return summary.as_dict()

    def set_aside(self) -> list[dict[str, str]]:
        return self.set_aside_days.all()

    def _run_day(self, day: date, campaigns: list[dict[str, Any]], summary: MetricsRunSummary, now: datetime | None = None) -> None:
        summary.days.append(day.isoformat())
        reader = self._reader_for(day, now)
        try:
            unattributed_items = reader.read(keys.UNATTRIBUTED, day)
            unattributed = Unattributed.of(unattributed_items)
        except Exception as error:  # noqa: BLE001 - the day's shared input: every campaign of the day waits
            if is_transient(error):
                raise
            for campaign in campaigns:
                self._set_aside(campaign["campaign_id"], day, error, summary)
            return
        summary.items_read += len(unattributed_items)
        for campaign in campaigns:
            # A campaign has no object for the days before it existed.
            if campaign["created_at"][:10] > day.isoformat():
                continue
            try:
                self._run_campaign_day(campaign, day, unattributed, summary, reader)
            except Exception as error:  # noqa: BLE001 - one campaign-day must never stop the run (SPEC §4)
                if is_transient(error):
                    raise  # storage trouble, not the data's: the next run computes the day again anyway
                self._set_aside(campaign["campaign_id"], day, error, summary)
        logger.info("metrics computed", extra={"day": day.isoformat(), "campaigns": len(campaigns), "from_archive": reader is self.archive})

    def _run_campaign_day(
        self, campaign: dict[str, Any], day: date, unattributed: Unattributed, summary: MetricsRunSummary, reader: EventsOfADay
    ) -> None:
        items = reader.read(campaign["campaign_id"], day)
        # From the campaign list's item, or for a day before the latest enrolment its day marker: never a count.
        enrolled, new, read = self.campaigns.enrolled_by(campaign, day)
        summary.items_read += read
        metrics = daily_metrics(campaign["campaign_id"], campaign["currency"], day, items, unattributed, Enrolment(enrolled, new))
        body = render(metrics)
        counts = advocate_daily_counts(items)
        self.objects.put(object_key(campaign["campaign_id"], day), body)
        self.advocate_days.save(day, counts)
        summary.items_read += len(items)
        summary.objects_written += 1
        summary.advocates += len(counts)

    def _set_aside(self, campaign_id: str, day: date, error: Exception, summary: MetricsRunSummary) -> None:
        reason = f"{type(error).__name__}: {error}"[:500]
        logger.error("metrics job set a campaign-day aside", extra={"campaign_id": campaign_id, "day": day.isoformat(), "reason": reason})
        self.set_aside_days.put(campaign_id, day, reason, iso(self.clock()))
        summary.set_aside += 1
        summary.set_aside_items.append({"campaign_id": campaign_id, "date": day.isoformat(), "reason": reason})
