"""Campaigns, their reward rules and their advocates: requests and what is stored."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.platform.hosts import host_name
from shared.platform.validation import MAX_AMOUNT, SLUG, StrictModel, email_shape, https_url
from shared.rewards.models import IneligibleReason, ReferralStatus, RewardStatus, RewardTally

# The most rewards a monthly cap can allow: a bound a person would set, and a number DynamoDB counts exactly.
MAX_MONTHLY_CAP = 1_000_000
# The same bound for the lifetime cap and a milestone's threshold (both counted in referrals).
MAX_LIFETIME_CAP = 1_000_000
# A programme has a handful of milestones (Dropbox had none, most have three to five).
MAX_MILESTONES = 20
# The most referred purchases a day a campaign's velocity threshold can allow, and the most blocked hosts.
MAX_REFERRALS_PER_DAY = 100_000
MAX_BLOCKED_HOSTS = 200
# The advocate's page shows their newest referrals, up to this many (one Query, however many they have).
MAX_STATUS_REFERRALS = 100


class PercentReward(StrictModel):
    type: Literal["percent"]
    # At least a hundredth of a percent: smaller values round every order's reward to nothing.
    value: Annotated[float, Field(ge=0.01, le=100, description="percent of the order amount, 0.01 to 100")]


class FlatReward(StrictModel):
    type: Literal["flat"]
    value: Annotated[int, Field(ge=1, le=MAX_AMOUNT, description="minor units of the campaign's currency")]


RewardRule = Annotated[PercentReward | FlatReward, Field(discriminator="type")]


class Milestone(StrictModel):
    """A bonus for the advocate the first time their approved referrals reach `referrals`."""

    referrals: Annotated[int, Field(ge=1, le=MAX_LIFETIME_CAP, description="approved referrals that earn the bonus")]
    reward: FlatReward


class RewardRules(StrictModel):
    advocate: RewardRule
    friend: RewardRule | None = None
    min_order_amount: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = 0
    holding_days: Annotated[int, Field(ge=0, le=365)] = 14
    max_rewards_per_advocate_per_month: Annotated[int, Field(ge=1, le=MAX_MONTHLY_CAP)] | None = None
    max_rewards_per_advocate: Annotated[
        int, Field(ge=1, le=MAX_LIFETIME_CAP, description="lifetime cap: the most referrals an advocate is rewarded for")
    ] | None = None
    milestones: Annotated[list[Milestone], Field(max_length=MAX_MILESTONES, description="bonuses at thresholds of approved referrals")] = []
    first_purchase_only: bool = True

    @model_validator(mode="after")
    def _milestones_reachable(self) -> RewardRules:
        thresholds = [milestone.referrals for milestone in self.milestones]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("each milestone needs its own number of referrals")
        cap = self.max_rewards_per_advocate
        if cap is not None and any(threshold > cap for threshold in thresholds):
            raise ValueError(f"a milestone above max_rewards_per_advocate ({cap}) could never be reached")
        return self


class FraudSettings(StrictModel):
    """What fraud review flags (SPEC §4). Not versioned: a change applies to every conversion rewarded after it, and
    `wom jobs run rescore` applies it to past ones."""

    max_referrals_per_day: Annotated[
        int, Field(ge=1, le=MAX_REFERRALS_PER_DAY, description="more referred purchases than this for one advocate in 24 h are held")
    ] = 10
    blocked_referrer_hosts: Annotated[
        list[str], Field(max_length=MAX_BLOCKED_HOSTS, description="clicks referred from these hosts (or their subdomains) are held")
    ] = []

    @field_validator("blocked_referrer_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        return sorted({host_name(host) for host in hosts})


def _absent_not_null(schema: dict[str, Any]) -> None:
    # A PATCH field may be left out, never sent as null: the schema shows no null default.
    schema.pop("default", None)


class CampaignCreate(StrictModel):
    campaign_id: Annotated[str, Field(pattern=SLUG, description="lower-case slug, 1–64 characters")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    destination_url: Annotated[str, Field(description="https URL the referral links lead to")]
    attribution_window_days: Annotated[int, Field(ge=1, le=365)] = 30
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code")] = "USD"
    rewards: RewardRules
    fraud: FraudSettings = FraudSettings()

    _destination = field_validator("destination_url")(https_url)


class Campaign(CampaignCreate):
    model_config = ConfigDict(extra="ignore")
    status: Literal["active", "disabled"] = "active"
    rules_version: int = 1
    created_at: str


class Consent(StrictModel):
    """What the advocate agreed to when enrolling (SPEC §6): the programme's terms, and marketing or not."""

    terms_version: Annotated[str, Field(min_length=1, max_length=64, description="the version of the programme's terms the advocate accepted")]
    marketing: Annotated[bool, Field(strict=True, description="whether the advocate agreed to marketing messages")]


class RecordedConsent(BaseModel):
    """A consent as stored and shown: with the time wom recorded it."""

    terms_version: str
    marketing: bool
    at: str


class AdvocateEnrolment(StrictModel):
    customer_id: Annotated[str, Field(min_length=1, max_length=128)]
    email: Annotated[str, Field(max_length=254)] | None = None
    consent: Annotated[Consent | None, Field(description="recorded with its time; a later enrolment with another consent replaces it")] = None

    _email = field_validator("email")(email_shape)


class StorefrontEnrolment(AdvocateEnrolment):
    """POST /v1/enrolments (SPEC §3.6): the admin enrolment, with the campaign in the body."""

    campaign_id: Annotated[str, Field(pattern=SLUG, description="the campaign's slug")]


class Advocate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    advocate_id: str
    campaign_id: str
    # Raw: the advocate view gives it back. Everything else about the customer is keyed by `customer_key`.
    customer_id: str
    customer_key: str
    code: str
    created_at: str
    email_hash: str | None = None
    consent: RecordedConsent | None = None
    # The mailbox the email delivers to (dots and +tags its provider ignores dropped), hashed: for alias_of_advocate.
    mailbox_hash: str | None = None


class AdvocateLink(BaseModel):
    advocate_id: str
    code: str
    link: str


class CampaignPage(BaseModel):
    campaigns: list[Campaign]
    next_cursor: str | None


class AdvocateSummary(BaseModel):
    """An advocate in a campaign's listing: who, their code and link, since when."""

    advocate_id: str
    campaign_id: str
    customer_id: str
    code: str
    link: str
    created_at: str


class AdvocatePage(BaseModel):
    advocates: list[AdvocateSummary]
    next_cursor: str | None


class StorefrontAdvocate(AdvocateLink):
    status_token: str = Field(description="for <div data-wom-advocate>: reads this advocate's status for 30 days, and nothing else")


class CampaignPatch(StrictModel):
    """Changes to a campaign; new `rewards` make a new rules version (earlier conversions keep theirs). A field left
    out stays as it is; null is not a value any of them can take."""

    # Typed without None and defaulting to None: pydantic never validates a default, so a field left out is None
    # while an explicit null fails validation (400), and the documented schema says the same.
    name: Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=_absent_not_null)] = None  # type: ignore[assignment]
    destination_url: Annotated[str, Field(json_schema_extra=_absent_not_null)] = None  # type: ignore[assignment]
    attribution_window_days: Annotated[int, Field(ge=1, le=365, json_schema_extra=_absent_not_null)] = None  # type: ignore[assignment]
    status: Annotated[Literal["active", "disabled"], Field(json_schema_extra=_absent_not_null)] = None  # type: ignore[assignment]
    rewards: Annotated[RewardRules, Field(json_schema_extra=_absent_not_null)] = None  # type: ignore[assignment]
    fraud: Annotated[FraudSettings, Field(json_schema_extra=_absent_not_null)] = None  # type: ignore[assignment]

    _destination = field_validator("destination_url")(https_url)

    @model_validator(mode="after")
    def _not_empty(self) -> CampaignPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class AdvocateView(BaseModel):
    advocate_id: str
    campaign_id: str
    customer_id: str
    code: str
    created_at: str
    shares: int
    clicks: int
    conversions: int
    rewards: dict[RewardStatus, RewardTally]
    adjustments: RewardTally
    consent: RecordedConsent | None


class Referral(BaseModel):
    """One referred purchase as its advocate sees it: no friend's id, email or amount."""

    status: ReferralStatus
    reason: IneligibleReason | None = Field(default=None, description="why it earns nothing (status ineligible only)")
    at: str = Field(description="since when: the purchase, the reward's approval (rewarded) or the refund (refunded)")


class AdvocateStatus(BaseModel):
    """GET /v1/advocate-status: what the advocate's own page shows (SPEC §3.6)."""

    link: str
    code: str
    shares: int = Field(description="as the funnel counts them, as of the metrics job's last run")
    clicks: int = Field(description="non-bot, deduplicated, as of the metrics job's last run")
    referrals: list[Referral] = Field(description=f"newest first, at most {MAX_STATUS_REFERRALS}")
    rewards: dict[Literal["pending", "approved", "paid"], RewardTally] = Field(description="the advocate's own rewards (count, amount in minor units)")
    currency: str = Field(description="the campaign's currency: what reward amounts are in")
