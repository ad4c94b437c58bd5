"""Campaign and advocate use cases of the admin API: create and change campaigns (rules versioned), enrol
advocates, and the advocate view."""

from __future__ import annotations

from collections.abc import Callable

from shared.campaigns.models import (
    Advocate,
    AdvocateEnrolment,
    AdvocateLink,
    AdvocatePage,
    AdvocateSummary,
    AdvocateView,
    Campaign,
    CampaignCreate,
    CampaignPage,
    CampaignPatch,
    RecordedConsent,
)
from shared.campaigns.repository import CampaignRepository, CodesExhausted
from shared.metrics.repository import AdvocateDailyCounts
from shared.platform.clock import Clock, iso
from shared.platform.dynamo import AlreadyStored, ConditionFailed, InvalidCursor
from shared.platform.errors import Conflict, InvalidRequest, NotFound
from shared.platform.privacy import customer_key, email_hash, mailbox_hash
from shared.privacy.index import CustomerErasing
from shared.rewards.models import REWARD_STATUSES, RewardTally
from shared.rewards.repository import RewardRepository
from shared.tracking.links import advocate_link


class CampaignService:
    def __init__(
        self,
        campaigns: CampaignRepository,
        rewards: RewardRepository,
        advocate_days: AdvocateDailyCounts,
        hash_key: Callable[[], bytes],
        clock: Clock,
        hot_event_days: int,
    ) -> None:
        self.campaigns = campaigns
        self.rewards = rewards
        self.advocate_days = advocate_days
        self.hash_key = hash_key
        self.clock = clock
        self.hot_event_days = hot_event_days

    def _window_fits(self, days: int | None) -> None:
        # A conversion finds its click in the events table, which keeps clicks for the hot window only.
        if days is not None and days > self.hot_event_days:
            raise InvalidRequest(
                f"attribution_window_days is at most {self.hot_event_days}: clicks stay in DynamoDB for the hot window "
                "(wom:hotEventDays), and attribution reads them there",
                code="attribution_window_too_long",
            )

    def create_campaign(self, request: CampaignCreate) -> Campaign:
        self._window_fits(request.attribution_window_days)
        campaign = Campaign(**request.model_dump(), created_at=iso(self.clock()))
        try:
            self.campaigns.create_campaign(campaign)
        except AlreadyStored:
            raise Conflict(f"campaign {campaign.campaign_id!r} already exists", code="campaign_exists") from None
        return campaign

    def campaign(self, campaign_id: str) -> Campaign:
        campaign = self.campaigns.get_campaign(campaign_id)
        if campaign is None:
            raise NotFound(f"no campaign {campaign_id!r}", code="campaign_not_found")
        return campaign

    def list_campaigns(self, cursor: str | None, limit: int) -> CampaignPage:
        try:
            campaigns, next_cursor = self.campaigns.page_campaigns(cursor, limit)
        except InvalidCursor:
            raise InvalidRequest("cursor is not one this listing handed out", code="invalid_cursor") from None
        return CampaignPage(campaigns=campaigns, next_cursor=next_cursor)

    def list_advocates(self, campaign_id: str, customer_id: str | None, cursor: str | None, limit: int, base_url: str) -> AdvocatePage:
        """A campaign's advocates a page at a time, or (with `customer_id`) the one enrolled customer, if any."""
        self.campaign(campaign_id)
        if customer_id is not None:
            found = self.campaigns.find_enrolment(campaign_id, customer_key(self.hash_key(), customer_id))
            advocates, next_cursor = ([found] if found else []), None
        else:
            try:
                advocates, next_cursor = self.campaigns.page_advocates(campaign_id, cursor, limit)
            except InvalidCursor:
                raise InvalidRequest("cursor is not one this listing handed out", code="invalid_cursor") from None
        return AdvocatePage(advocates=[_summary(advocate, base_url) for advocate in advocates], next_cursor=next_cursor)

    def change_campaign(self, campaign_id: str, patch: CampaignPatch) -> Campaign:
        """New `rewards` make the next rules version; conversions already recorded keep theirs."""
        self._window_fits(patch.attribution_window_days)
        campaign = self.campaign(campaign_id)
        changes = patch.model_dump(mode="json", exclude_unset=True, exclude={"rewards"})
        new_rules = patch.rewards is not None
        if new_rules:
            changes["rewards"] = patch.rewards.model_dump(mode="json")
            changes["rules_version"] = campaign.rules_version + 1
        updated = Campaign.model_validate({**campaign.model_dump(mode="json"), **changes})
        try:
            self.campaigns.save_change(updated, campaign.rules_version, new_rules, iso(self.clock()))
        except ConditionFailed:
            raise Conflict("the campaign changed meanwhile; read it and try again", code="concurrent_update") from None
        return updated

    def enrol_advocate(self, campaign_id: str, enrolment: AdvocateEnrolment, base_url: str) -> tuple[AdvocateLink, bool]:
        """(the advocate's link, created): the same customer again is the same advocate. A consent sent again that
        differs from the one recorded replaces it (a withdrawal of marketing consent, a new terms version)."""
        self.campaign(campaign_id)
        key = self.hash_key()
        hashed = email_hash(key, enrolment.email) if enrolment.email else None
        now = iso(self.clock())
        consent = RecordedConsent(**enrolment.consent.model_dump(), at=now) if enrolment.consent else None
        mailbox = mailbox_hash(key, enrolment.email) if enrolment.email else None
        try:
            advocate, created = self.campaigns.enrol_advocate(campaign_id, enrolment.customer_id, customer_key(key, enrolment.customer_id), hashed, consent, now, mailbox)
            if not created and consent is not None and _changed(advocate.consent, consent):
                self.campaigns.record_consent(advocate, consent)
        except CodesExhausted:
            raise Conflict("could not allocate a unique referral code; retry", code="code_collision") from None
        except CustomerErasing:
            raise Conflict("this customer is being erased; enrol them again once the erasure has completed", code="customer_being_erased") from None
        return AdvocateLink(advocate_id=advocate.advocate_id, code=advocate.code, link=advocate_link(base_url, advocate.code)), created

    def advocate_view(self, advocate_id: str) -> AdvocateView:
        """Conversions and rewards as the rewards job counted them; shares and clicks as the metrics job did."""
        advocate = self.campaigns.get_advocate(advocate_id)
        if advocate is None:
            raise NotFound(f"no advocate {advocate_id!r}", code="advocate_not_found")
        tallies = self.rewards.advocate_tallies(advocate_id)
        activity = self.advocate_days.totals(advocate_id)
        return AdvocateView(
            **advocate.model_dump(include={"advocate_id", "campaign_id", "customer_id", "code", "created_at"}),
            shares=activity["shares"],
            clicks=activity["clicks"],
            conversions=tallies.get("conversions", 0),
            rewards={status: RewardTally.of(tallies, status) for status in REWARD_STATUSES},
            adjustments=RewardTally.of(tallies, "adjustments"),
            consent=advocate.consent,
        )


def _summary(advocate: Advocate, base_url: str) -> AdvocateSummary:
    return AdvocateSummary(
        **advocate.model_dump(include={"advocate_id", "campaign_id", "customer_id", "code", "created_at"}),
        link=advocate_link(base_url, advocate.code),
    )


def _changed(recorded: RecordedConsent | None, given: RecordedConsent) -> bool:
    return recorded is None or (recorded.terms_version, recorded.marketing) != (given.terms_version, given.marketing)
