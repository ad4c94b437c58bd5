"""The storefront's own use cases (SPEC §3.6): a shop enrols its customer and gets the link and a status token to show
them, with no AWS credentials; the advocate's page reads that one advocate's progress with the token."""

from __future__ import annotations

from collections.abc import Callable

from shared.campaigns.models import MAX_STATUS_REFERRALS, AdvocateEnrolment, AdvocateStatus, Referral, StorefrontAdvocate, StorefrontEnrolment
from shared.campaigns.repository import CampaignRepository
from shared.campaigns.service import CampaignService
from shared.campaigns.status_tokens import issue_status_token, read_status_token
from shared.metrics.repository import AdvocateDailyCounts
from shared.platform.clock import Clock
from shared.platform.errors import NotFound
from shared.rewards.models import RewardTally
from shared.rewards.repository import RewardRepository
from shared.tracking.links import advocate_link

SHOWN_REWARDS = ("pending", "approved", "paid")


class StorefrontService:
    def __init__(
        self,
        enrolments: CampaignService,
        campaigns: CampaignRepository,
        rewards: RewardRepository,
        advocate_days: AdvocateDailyCounts,
        token_keys: Callable[[], list[str]],
        clock: Clock,
    ) -> None:
        self.enrolments = enrolments
        self.campaigns = campaigns
        self.rewards = rewards
        self.advocate_days = advocate_days
        self.token_keys = token_keys
        self.clock = clock

    def enrol(self, request: StorefrontEnrolment, base_url: str) -> tuple[StorefrontAdvocate, bool]:
        """The admin enrolment's rules and answer (the same customer again is the same advocate), plus a fresh
        status token each call."""
        enrolment = AdvocateEnrolment.model_validate(request.model_dump(exclude={"campaign_id"}, exclude_unset=True))
        link, created = self.enrolments.enrol_advocate(request.campaign_id, enrolment, base_url)
        token = issue_status_token(link.advocate_id, self.clock(), self.token_keys()[0])
        return StorefrontAdvocate(**link.model_dump(), status_token=token), created

    def status(self, token: str | None, base_url: str) -> AdvocateStatus:
        """The progress of the one advocate a genuine, unexpired token names (401 for any other token)."""
        advocate_id = read_status_token(token, self.token_keys(), self.clock())
        advocate = self.campaigns.get_advocate(advocate_id)
        campaign = self.campaigns.get_campaign(advocate.campaign_id) if advocate else None
        if advocate is None or campaign is None:
            # Erased since the token was issued (SPEC §6): there is no one left to show.
            raise NotFound("the advocate this token names is no longer enrolled", code="advocate_not_found")
        tallies = self.rewards.advocate_tallies(advocate_id)
        activity = self.advocate_days.totals(advocate_id)
        return AdvocateStatus(
            link=advocate_link(base_url, advocate.code),
            code=advocate.code,
            shares=activity["shares"],
            clicks=activity["clicks"],
            referrals=[Referral.model_validate(item) for item in self.rewards.referrals(advocate_id, MAX_STATUS_REFERRALS)],
            rewards={state: RewardTally.of(tallies, state) for state in SHOWN_REWARDS},
            currency=campaign.currency,
        )
