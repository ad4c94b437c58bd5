"""Admin routes (SPEC §3.3): AWS IAM in AWS, a bearer token in local mode; both enforced in front of the function."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import services
from shared.clock import iso, utc_now
from shared.errors import NotFound
from shared.links import advocate_link
from shared.models import SLUG, AdvocateEnrolment, AdvocateLink, Campaign, CampaignCreate
from shared.privacy import email_hash

router = APIGatewayHttpRouter()

CampaignId = Annotated[str, Path(pattern=SLUG, description="the campaign's slug")]


def _campaign_or_404(campaign_id: str) -> Campaign:
    campaign = services.admin().campaigns.get_campaign(campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id!r}", code="campaign_not_found")
    return campaign


@router.post("/v1/campaigns", summary="Create a campaign", responses={201: {"description": "Created"}, 409: {"description": "campaign_id taken"}})
def create_campaign(campaign: CampaignCreate) -> tuple[Campaign, int]:
    created = Campaign(**campaign.model_dump(), created_at=iso(utc_now()))
    services.admin().campaigns.create_campaign(created)
    return created, 201


@router.get("/v1/campaigns/<campaign_id>", summary="Read a campaign")
def read_campaign(campaign_id: CampaignId) -> Campaign:
    return _campaign_or_404(campaign_id)


def _public_base_url() -> str:
    admin = services.admin()
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
    admin = services.admin()
    hashed = email_hash(admin.hash_key(), enrolment.email) if enrolment.email else None
    advocate, created = admin.campaigns.enrol_advocate(campaign_id, enrolment.customer_id, hashed, utc_now())
    link = AdvocateLink(advocate_id=advocate.advocate_id, code=advocate.code, link=advocate_link(_public_base_url(), advocate.code))
    return link, 201 if created else 200
