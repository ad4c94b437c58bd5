"""Deployment definitions written once: the functions, their HTTP routes and their schedules. The CDK stack,
local mode's gateway and scheduler, and the tests all build from these.

Plain data on purpose: the Lambda functions import this module, so it must not pull in CDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FunctionName = Literal["tracking", "conversions", "storefront", "admin", "rewards", "metrics", "privacy", "archive", "replay"]
# Who may call a route: anyone; an operator (AWS IAM at API Gateway, a bearer token in local mode); a storefront
# whose body carries a Wom-Signature; Stripe or Shopify, signing their webhooks their own way; or whoever holds an
# advocate's status token (`?token=`, wom-signed). The function checks every signature and token itself (API
# Gateway has no HMAC authorizer).
Auth = Literal["none", "admin", "signed", "stripe", "shopify", "token"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: /r/{code}
    function: FunctionName
    auth: Auth = "none"

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/r/{code}", "tracking"),
    Route("HEAD", "/r/{code}", "tracking"),
    Route("GET", "/p.gif", "tracking"),
    Route("POST", "/v1/events", "tracking"),
    Route("OPTIONS", "/v1/events", "tracking"),
    Route("GET", "/wom.js", "tracking"),
    Route("GET", "/wom-advocate.js", "tracking"),
    Route("POST", "/v1/conversions", "conversions", auth="signed"),
    Route("POST", "/v1/refunds", "conversions", auth="signed"),
    # Signed by Stripe (Stripe-Signature) and Shopify (X-Shopify-Hmac-Sha256), checked in the function.
    Route("POST", "/v1/webhooks/stripe", "conversions", auth="stripe"),
    Route("POST", "/v1/webhooks/shopify", "conversions", auth="shopify"),
    Route("POST", "/v1/enrolments", "storefront", auth="signed"),
    Route("GET", "/v1/advocate-status", "storefront", auth="token"),
    Route("GET", "/openapi.json", "admin"),
    Route("POST", "/v1/campaigns", "admin", auth="admin"),
    Route("GET", "/v1/campaigns", "admin", auth="admin"),
    Route("GET", "/v1/campaigns/{campaign_id}", "admin", auth="admin"),
    Route("PATCH", "/v1/campaigns/{campaign_id}", "admin", auth="admin"),
    Route("POST", "/v1/campaigns/{campaign_id}/advocates", "admin", auth="admin"),
    Route("GET", "/v1/campaigns/{campaign_id}/advocates", "admin", auth="admin"),
    Route("GET", "/v1/advocates/{advocate_id}", "admin", auth="admin"),
    Route("GET", "/v1/rewards", "admin", auth="admin"),
    Route("POST", "/v1/rewards/{reward_id}/fulfil", "admin", auth="admin"),
    Route("POST", "/v1/rewards/{reward_id}/review", "admin", auth="admin"),
    Route("DELETE", "/v1/customers/{customer_id}", "admin", auth="admin"),
    # The same erasure with the id in the body: any id, `/` included, without path encoding (wom erase uses it).
    Route("POST", "/v1/erasures", "admin", auth="admin"),
    Route("GET", "/v1/erasures/{erasure_id}", "admin", auth="admin"),
)


@dataclass(frozen=True)
class FunctionDefinition:
    name: FunctionName
    handler: str
    memory_mb: int
    timeout_seconds: int
    description: str = ""
    # Which tables, buses and buckets a function may use (and is told the names of) is declared once,
    # in infra/permissions.py.


FUNCTIONS: tuple[FunctionDefinition, ...] = (
    FunctionDefinition(
        name="tracking",
        handler="functions.tracking.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=5,
        description="Records shares, views and clicks; answers referral redirects and the pixel",
    ),
    FunctionDefinition(
        name="conversions",
        handler="functions.conversions.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=10,
        description="Signed storefront posts and Stripe/Shopify webhooks: conversions with attribution, and refunds",
    ),
    FunctionDefinition(
        name="storefront",
        handler="functions.storefront.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=10,
        description="The storefront's own routes: signed enrolment with a status token, and the advocate's status read",
    ),
    FunctionDefinition(
        name="admin",
        handler="functions.admin.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=10,
        description="Admin API: campaigns, advocates, rewards and their review; serves the OpenAPI document",
    ),
    FunctionDefinition(
        name="rewards",
        handler="functions.rewards.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=300,
        description="Rewards job: creates, holds, approves, voids and adjusts rewards; publishes reward events; rescores",
    ),
    FunctionDefinition(
        name="metrics",
        handler="functions.metrics.handler.lambda_handler",
        memory_mb=1024,
        timeout_seconds=900,
        description="Metrics job: daily funnel metrics per campaign to S3, advocates' daily shares and clicks",
    ),
    FunctionDefinition(
        name="privacy",
        handler="functions.privacy.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=300,
        description="Privacy job: finishes erasures, forgets erased customers' keys after their hold, destroys old visitor salts",
    ),
    FunctionDefinition(
        name="archive",
        handler="functions.archive.handler.lambda_handler",
        memory_mb=256,
        timeout_seconds=60,
        description="Archive writer: the events table's stream to gzip JSON Lines under events/ in the metrics bucket",
    ),
    FunctionDefinition(
        name="replay",
        handler="functions.replay.handler.lambda_handler",
        memory_mb=256,
        timeout_seconds=60,
        description="Replay: writes tracked events from the spill queue (their first write failed) with the same keys, once",
    ),
)


@dataclass(frozen=True)
class ScheduleDefinition:
    """A job run by EventBridge Scheduler in AWS and by local mode's scheduler on this machine."""

    name: str
    function: FunctionName
    rate_minutes: int
    description: str = ""


SCHEDULES: tuple[ScheduleDefinition, ...] = (
    ScheduleDefinition(
        name="rewards",
        function="rewards",
        rate_minutes=15,
        description="Create rewards for new conversions, approve those past holding, void or adjust on refunds",
    ),
    ScheduleDefinition(
        name="metrics",
        function="metrics",
        rate_minutes=60,
        description="Recompute today's and yesterday's (UTC) daily metrics of every campaign",
    ),
    ScheduleDefinition(
        name="privacy",
        function="privacy",
        rate_minutes=5,
        description="Finish requested erasures, forget erased customers' keys once their hold ends, destroy visitor salts past 48 hours",
    ),
)
