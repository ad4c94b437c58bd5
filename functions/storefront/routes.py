"""The storefront's own routes (SPEC §3.6): enrolment signed with the storefront secret (checked in the handler), and
the advocate's status read with the token that enrolment handed out."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.campaigns.models import AdvocateStatus, StorefrontAdvocate, StorefrontEnrolment
from shared.platform.http import answer, problem, request_base_url

router = APIGatewayHttpRouter()

# The token is the credential, and a browser reads with it from whatever origin the shop's account page is on (the
# handler adds it to every answer of the route, errors included).
ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}


def _base_url() -> str:
    return request_base_url(router, wiring.settings().public_base_url)


@router.post(
    "/v1/enrolments",
    summary="Enrol a customer as an advocate (signed; idempotent per customer) and get their status token",
    responses={
        201: answer(StorefrontAdvocate, "Enrolled"),
        200: answer(StorefrontAdvocate, "Already enrolled: the same advocate, and a fresh status token"),
        404: problem("No such campaign"),
        409: problem("No unique referral code could be allocated (retry), or the customer is being erased (customer_being_erased)"),
    },
)
def enrol_from_storefront(enrolment: StorefrontEnrolment) -> tuple[StorefrontAdvocate, int]:
    advocate, created = wiring.storefront().enrol(enrolment, _base_url())
    return advocate, 201 if created else 200


@router.get(
    "/v1/advocate-status",
    summary="One advocate's link, shares, clicks, referrals and rewards, read with their status token (any origin)",
    responses={
        200: answer(AdvocateStatus, "The advocate's progress", headers={"Access-Control-Allow-Origin": {"description": "*", "schema": {"type": "string"}}}),
        404: problem("The advocate was erased since the token was issued"),
    },
)
def read_advocate_status(
    # Not bounded here: a token too long to be wom's is refused like any other it did not issue (401, not 400).
    token: Annotated[str | None, Query(description="the status_token of POST /v1/enrolments")] = None,
):
    status = wiring.storefront().status(token, _base_url())
    # No reason on a referral that has none; never cached, since it changes as referrals move on.
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=status.model_dump_json(exclude_none=True),
        headers={"Cache-Control": "no-store"},
    )
