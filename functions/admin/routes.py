"""Admin routes (SPEC §3.3): AWS IAM in AWS, a bearer token in local mode; both enforced in front of the function."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.campaigns.models import AdvocateEnrolment, AdvocateLink, AdvocatePage, AdvocateView, Campaign, CampaignCreate, CampaignPage, CampaignPatch
from shared.platform.errors import InvalidRequest
from shared.platform.http import answer, problem, request_base_url
from shared.platform.validation import SLUG
from shared.privacy.models import ErasureReceipt, ErasureRequest
from shared.rewards.models import Fulfilment, ReviewRequest, Reward, RewardPage, RewardStatus

router = APIGatewayHttpRouter()

CampaignId = Annotated[str, Path(pattern=SLUG, description="the campaign's slug")]
ADVOCATE_ID = r"^adv_[A-Za-z0-9]{1,64}$"
AdvocateId = Annotated[str, Path(pattern=ADVOCATE_ID, description="the advocate's id")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100, description="at most this many items")]
RewardId = Annotated[str, Path(pattern=r"^(rwd|adj)_[A-Za-z0-9]{1,64}$", description="the reward's (or adjustment's) id")]
# Percent-encoded in the path (an id may hold `?`, `#`, spaces…), 1–128 characters once decoded.
CustomerId = Annotated[str, Path(min_length=1, max_length=3 * 128, description="the storefront's customer id, percent-encoded")]
ErasureId = Annotated[str, Path(pattern=r"^era_[A-Za-z0-9]{1,64}$", description="the erasure's id")]


def _public_base_url() -> str:
    return request_base_url(router, wiring.settings().public_base_url)


@router.get(
    "/openapi.json",
    summary="This API's OpenAPI document",
    responses={200: {"description": "The OpenAPI 3.1 document of every route", "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def read_openapi_document():
    from functions.admin.openapi import openapi_document

    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())


@router.post("/v1/campaigns", summary="Create a campaign", responses={201: answer(Campaign, "Created"), 409: problem("campaign_id taken")})
def create_campaign(campaign: CampaignCreate) -> tuple[Campaign, int]:
    return wiring.campaigns().create_campaign(campaign), 201


@router.get(
    "/v1/campaigns",
    summary="Every campaign by id, a page at a time",
    responses={200: answer(CampaignPage, "One page, and the cursor of the next (null on the last)")},
)
def list_campaigns(cursor: Cursor = None, limit: Limit = 50) -> CampaignPage:
    return wiring.campaigns().list_campaigns(cursor, limit)


@router.get("/v1/campaigns/<campaign_id>", summary="Read a campaign", responses={200: answer(Campaign, "The campaign"), 404: problem("No such campaign")})
def read_campaign(campaign_id: CampaignId) -> Campaign:
    return wiring.campaigns().campaign(campaign_id)


@router.post(
    "/v1/campaigns/<campaign_id>/advocates",
    summary="Enrol an advocate (idempotent per customer)",
    responses={
        201: answer(AdvocateLink, "Enrolled"),
        200: answer(AdvocateLink, "Already enrolled: the same advocate"),
        404: problem("No such campaign"),
        409: problem("No unique referral code could be allocated (retry), or the customer is being erased"),
    },
)
def enrol_advocate(campaign_id: CampaignId, enrolment: AdvocateEnrolment) -> tuple[AdvocateLink, int]:
    link, created = wiring.campaigns().enrol_advocate(campaign_id, enrolment, _public_base_url())
    return link, 201 if created else 200


@router.get(
    "/v1/campaigns/<campaign_id>/advocates",
    summary="A campaign's advocates by customer id, a page at a time; ?customer_id= looks one up",
    responses={
        200: answer(AdvocatePage, "One page (or the one customer's advocate, or none), and the cursor of the next (null on the last)"),
        404: problem("No such campaign"),
    },
)
def list_advocates(
    campaign_id: CampaignId,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=128, description="only this customer's advocate (an empty page if not enrolled)")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> AdvocatePage:
    return wiring.campaigns().list_advocates(campaign_id, customer_id, cursor, limit, _public_base_url())


@router.patch(
    "/v1/campaigns/<campaign_id>",
    summary="Change a campaign; new rewards make a new rules version",
    responses={200: answer(Campaign, "The campaign as changed"), 404: problem("No such campaign"), 409: problem("Changed concurrently: read it and try again")},
)
def update_campaign(campaign_id: CampaignId, patch: CampaignPatch) -> Campaign:
    return wiring.campaigns().change_campaign(campaign_id, patch)


@router.get(
    "/v1/advocates/<advocate_id>",
    summary="An advocate with their shares, clicks, conversions and rewards by status",
    responses={200: answer(AdvocateView, "The advocate"), 404: problem("No such advocate")},
)
def read_advocate(advocate_id: AdvocateId) -> AdvocateView:
    return wiring.campaigns().advocate_view(advocate_id)


@router.get(
    "/v1/rewards",
    summary="A campaign's or an advocate's rewards and adjustments, oldest first, a page at a time; a campaign's ?status=held is its review queue",
    responses={200: answer(RewardPage, "One page, and the cursor of the next (null on the last)")},
)
def list_rewards(
    campaign_id: Annotated[str | None, Query(pattern=SLUG, description="this campaign's rewards (required without advocate_id)")] = None,
    advocate_id: Annotated[str | None, Query(pattern=ADVOCATE_ID, description="only this advocate's rewards")] = None,
    status: Annotated[RewardStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> RewardPage:
    return wiring.rewards().list_rewards(campaign_id, status, cursor, limit, advocate_id)


@router.post(
    "/v1/rewards/<reward_id>/fulfil",
    summary="Mark an approved reward paid",
    responses={
        200: answer(Reward, "The reward, paid (also for a retry with the same reference)"),
        404: problem("No such reward"),
        409: problem("The reward is not approved, or was paid with another reference"),
    },
)
def fulfil_reward(reward_id: RewardId, fulfilment: Fulfilment) -> Reward:
    return wiring.rewards().fulfil(reward_id, fulfilment.reference)


@router.post(
    "/v1/rewards/<reward_id>/review",
    summary="Review a held reward: approve it (approved once holding has passed) or reject it (voided)",
    responses={
        200: answer(Reward, "The reward as the decision left it (also for a retry with the same decision)"),
        404: problem("No such reward"),
        409: problem("The reward is not held, or was reviewed with the other decision"),
    },
)
def review_reward(reward_id: RewardId, review: ReviewRequest) -> Reward:
    return wiring.rewards().review(reward_id, review)


@router.delete(
    "/v1/customers/<customer_id>",
    summary="Erase a customer everywhere wom keeps them (asynchronous: the receipt says when it has completed)",
    responses={
        202: answer(ErasureReceipt, "Recorded; the privacy job erases the customer within minutes. The same answer for a customer wom never saw"),
        400: problem("Not a customer id"),
    },
)
def erase_customer(customer_id: CustomerId) -> tuple[ErasureReceipt, int]:
    decoded = unquote(customer_id)
    if not 1 <= len(decoded) <= 128:
        raise InvalidRequest("customer_id must be 1–128 characters", code="invalid_customer_id")
    return wiring.erasures().erase_customer(decoded), 202


@router.post(
    "/v1/erasures",
    summary="Erase a customer, the id in the body (any id, `/` included); the same as DELETE /v1/customers/{customer_id}",
    responses={202: answer(ErasureReceipt, "Recorded; the privacy job erases the customer within minutes. The same answer for a customer wom never saw")},
)
def request_erasure(request: ErasureRequest) -> tuple[ErasureReceipt, int]:
    return wiring.erasures().erase_customer(request.customer_id), 202


@router.get(
    "/v1/erasures/<erasure_id>",
    summary="An erasure's receipt: pending or completed, and what it erased",
    responses={200: answer(ErasureReceipt, "The receipt"), 404: problem("No such erasure")},
)
def read_erasure(erasure_id: ErasureId) -> ErasureReceipt:
    return wiring.erasures().receipt(erasure_id)
