"""Admin routes (SPEC §3.3): AWS IAM in AWS, a bearer token in local mode; both enforced in front of the function."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.platform.clock import iso, utc_now
from shared.platform.errors import NotFound
from shared.tracking.links import advocate_link
from shared.platform.validation import SLUG
from shared.campaigns.models import AdvocateEnrolment, AdvocateLink, AdvocateView, Campaign, CampaignCreate, CampaignPatch
from shared.rewards.models import Fulfilment, Reward, RewardPage, RewardStatus, RewardTally
from shared.rewards.repository import STATUSES as REWARD_STATUSES
from shared.platform.privacy import email_hash

router = APIGatewayHttpRouter()

CampaignId = Annotated[str, Path(pattern=SLUG, description="the campaign's slug")]


def _campaign_or_404(campaign_id: str) -> Campaign:
    campaign = wiring.admin().campaigns.get_campaign(campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id!r}", code="campaign_not_found")
    return campaign


@router.post("/v1/campaigns", summary="Create a campaign", responses={201: {"description": "Created"}, 409: {"description": "campaign_id taken"}})
def create_campaign(campaign: CampaignCreate) -> tuple[Campaign, int]:
    created = Campaign(**campaign.model_dump(), created_at=iso(utc_now()))
    wiring.admin().campaigns.create_campaign(created)
    return created, 201


@router.get("/v1/campaigns/<campaign_id>", summary="Read a campaign")
def read_campaign(campaign_id: CampaignId) -> Campaign:
    return _campaign_or_404(campaign_id)


def _public_base_url() -> str:
    admin = wiring.admin()
    if admin.settings.public_base_url:
        return admin.settings.public_base_url
    context = router.current_event.request_context
    headers = router.current_event.headers or {}
    host = headers.get("host") or context.domain_name
    scheme = "https" if headers.get("x-forwarded-proto", "https") == "https" else "http"
    return f"{scheme}://{host}"


@router.post("/v1/campaigns/<campaign_id>/advocates", summary="Enrol an advocate (idempotent per customer)", responses={201: {"description": "Enrolled"}, 200: {"description": "Already enrolled: the same advocate"}})
def enrol_advocate(campaign_id: CampaignId, enrolment: AdvocateEnrolment) -> tuple[AdvocateLink, int]:
    _campaign_or_404(campaign_id)
    admin = wiring.admin()
    hashed = email_hash(admin.hash_key(), enrolment.email) if enrolment.email else None
    advocate, created = admin.campaigns.enrol_advocate(campaign_id, enrolment.customer_id, hashed, utc_now())
    link = AdvocateLink(advocate_id=advocate.advocate_id, code=advocate.code, link=advocate_link(_public_base_url(), advocate.code))
    return link, 201 if created else 200


@router.patch(
    "/v1/campaigns/<campaign_id>",
    summary="Change a campaign; new rewards make a new rules version",
    responses={409: {"description": "Changed concurrently: read it and try again"}},
)
def update_campaign(campaign_id: CampaignId, patch: CampaignPatch) -> Campaign:
    campaign = _campaign_or_404(campaign_id)
    changes = patch.model_dump(mode="json", exclude_unset=True, exclude={"rewards"})
    new_rules = patch.rewards.model_dump(mode="json") if patch.rewards is not None else None
    if new_rules is not None:
        changes["rewards"] = new_rules
    return wiring.admin().campaigns.update_campaign(campaign, changes, new_rules, iso(utc_now()))


AdvocateId = Annotated[str, Path(pattern=r"^adv_[A-Za-z0-9]{1,64}$", description="the advocate's id")]


@router.get("/v1/advocates/<advocate_id>", summary="An advocate with their shares, clicks, conversions and rewards by status")
def read_advocate(advocate_id: AdvocateId) -> AdvocateView:
    admin = wiring.admin()
    advocate = admin.campaigns.get_advocate(advocate_id)
    if advocate is None:
        raise NotFound(f"no advocate {advocate_id!r}", code="advocate_not_found")
    stats = admin.rewards.advocate_stats(advocate_id)
    activity = list(admin.rewards.advocate_activity(advocate_id))
    return AdvocateView(
        **advocate.model_dump(include={"advocate_id", "campaign_id", "customer_id", "code", "created_at"}),
        shares=sum(int(day.get("shares", 0)) for day in activity),
        clicks=sum(int(day.get("clicks", 0)) for day in activity),
        conversions=int(stats.get("conversions", 0)),
        rewards={
            status: RewardTally(count=int(stats.get(f"{status}_count", 0)), amount=int(stats.get(f"{status}_amount", 0)))
            for status in REWARD_STATUSES
        },
        adjustments=RewardTally(count=int(stats.get("adjustments_count", 0)), amount=int(stats.get("adjustments_amount", 0))),
    )


@router.get("/v1/rewards", summary="A campaign's rewards and adjustments, oldest first, a page at a time")
def list_rewards(
    campaign_id: Annotated[str, Query(pattern=SLUG)],
    status: Annotated[RewardStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> RewardPage:
    items, next_cursor = wiring.admin().rewards.page(campaign_id, status, cursor, limit)
    return RewardPage(rewards=[Reward.model_validate(item) for item in items], next_cursor=next_cursor)


RewardId = Annotated[str, Path(pattern=r"^(rwd|adj)_[A-Za-z0-9]{1,64}$", description="the reward's (or adjustment's) id")]


@router.post(
    "/v1/rewards/<reward_id>/fulfil",
    summary="Mark an approved reward paid",
    responses={404: {"description": "No such reward"}, 409: {"description": "The reward is not approved"}},
)
def fulfil_reward(reward_id: RewardId, fulfilment: Fulfilment) -> Reward:
    try:
        paid = wiring.admin().rewards.fulfil(reward_id, fulfilment.reference, iso(utc_now()))
    except LookupError:
        raise NotFound(f"no reward {reward_id!r}", code="reward_not_found") from None
    return Reward.model_validate(paid)
