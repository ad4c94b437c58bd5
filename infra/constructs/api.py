"""The HTTP API: one Lambda integration per function, routes from shared.platform.deployment.ROUTES."""

from __future__ import annotations

import json
import re
from typing import Literal

import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.functions import LOG_RETENTION, WomFunction
from infra.nag import acknowledge
from shared.platform.deployment import ROUTES, FunctionName, Route

RouteClass = Literal["tracking", "signed", "admin"]

# No source IP and no user agent: wom stores neither (SPEC §6), and access logs are storage too.
# One short line a request (its bytes are most of a click's logging cost): the request id, the time, the route
# (its method included), the status and latency, why the integration or API Gateway failed ("-" when nothing
# did), and the caller ARN, which identifies the operator on IAM-authorised admin calls ("-" on public routes).
ACCESS_LOG_FIELDS = {
    "id": "$context.requestId",
    "t": "$context.requestTimeEpoch",
    "route": "$context.routeKey",
    "status": "$context.status",
    "ms": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
    "error": "$context.error.message",
    "caller": "$context.identity.userArn",
}
ACCESS_LOG_FORMAT = json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))

PUBLIC_ROUTE_REASON = {
    "tracking": (
        "Public tracking route: browsers and email clients call it anonymously (pixels, referral redirects, "
        "widget events), so there is no identity to authorise; abuse is bounded by stage throttling."
    ),
    "conversions": (
        "Server-to-server routes authenticated inside the function over the raw body with a 300 s replay window: "
        "storefront posts by the Wom-Signature HMAC (SPEC 3.2), Stripe's and Shopify's webhooks by their own "
        "signatures (SPEC 3.4); API Gateway has no HMAC authorizer type."
    ),
    "storefront": (
        "The storefront's own routes (SPEC 3.6): enrolment is authenticated inside the function by the Wom-Signature "
        "HMAC like the conversion routes; the advocate-status read by the HMAC-signed, expiring status token it names, "
        "which API Gateway cannot check either."
    ),
    "admin": (
        "Serves the public OpenAPI document, which describes the API and holds no data; every admin "
        "operation route uses IAM authorisation."
    ),
}


def route_construct_id(route: Route) -> str:
    """GET /v1/campaigns/{campaign_id} -> GetV1CampaignsCampaignId (stable logical ids)."""
    words = re.findall(r"[A-Za-z0-9]+", f"{route.method} {route.path}")
    return "".join(word[:1].upper() + word[1:].lower() for word in words)


def route_class(route: Route) -> RouteClass:
    """Which throttle a route gets: tracking (browsers, generous), admin (operators), or signed (the rest).

    A route of a new function lands in the tight "signed" class until someone decides otherwise.
    """
    if route.function == "tracking":
        return "tracking"
    if route.auth == "admin" or route.function == "admin":
        return "admin"
    return "signed"


def route_throttles(config: StackConfig) -> dict[RouteClass, apigwv2.ThrottleSettings]:
    """Requests per second and burst per class, from wom:* context (infra/config.py; docs/operations.md)."""
    return {
        "tracking": apigwv2.ThrottleSettings(
            rate_limit=config.throttle_rate_limit, burst_limit=config.throttle_burst_limit
        ),
        "signed": apigwv2.ThrottleSettings(
            rate_limit=config.signed_throttle_rate_limit, burst_limit=config.signed_throttle_burst_limit
        ),
        "admin": apigwv2.ThrottleSettings(
            rate_limit=config.admin_throttle_rate_limit, burst_limit=config.admin_throttle_burst_limit
        ),
    }


def _public_route_reason(route: Route) -> str:
    try:
        return PUBLIC_ROUTE_REASON[route.function]
    except KeyError:
        raise KeyError(
            f"{route.route_key} has no IAM auth and function {route.function!r} has no entry in "
            "PUBLIC_ROUTE_REASON (infra/constructs/api.py): say why it may be called without AWS credentials"
        ) from None


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[FunctionName, WomFunction],
        config: StackConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        throttles = route_throttles(config)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="wom: tracking, server-to-server and admin API",
            # CORS is answered by the tracking function (OPTIONS /v1/events) for the configured origins;
            # API-level CORS would answer every preflight itself and override the function's headers.
            create_default_stage=False,
        )
        # Infrequent Access: half the ingestion price; the access log is read when debugging (Logs Insights works
        # on it), never by a metric filter or subscription, which that class does not offer.
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
            log_group_class=logs.LogGroupClass.INFREQUENT_ACCESS,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            # The stage's default, which the tracking routes use; the others get their own below.
            throttle=throttles["tracking"],
            access_log_settings=_AccessLogSettings(self.access_logs),
        )

        integrations_by_function = {
            name: integrations.HttpLambdaIntegration(
                f"{name.capitalize()}Integration",
                function.function,
                # One invoke permission per function for the whole API rather than one per route.
                scope_permission_to_route=False,
            )
            for name, function in functions.items()
        }
        iam_authorizer = authorizers.HttpIamAuthorizer()
        self.routes: dict[str, apigwv2.HttpRoute] = {}
        for route in ROUTES:
            # Admin routes: SigV4 with the caller's IAM identity. Every other route is reachable without AWS
            # credentials (browsers, or storefronts that sign the body), which cdk-nag must be told why.
            is_admin = route.auth == "admin"
            http_route = apigwv2.HttpRoute(
                self,
                route_construct_id(route),
                http_api=self.http_api,
                route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod[route.method]),
                integration=integrations_by_function[route.function],
                authorizer=iam_authorizer if is_admin else apigwv2.HttpNoneAuthorizer(),
            )
            if not is_admin:
                acknowledge(http_route, "AwsSolutions-APIG4", _public_route_reason(route))
            self.routes[route.route_key] = http_route
        self._throttle_routes(throttles)

    def _throttle_routes(self, throttles: dict[RouteClass, apigwv2.ThrottleSettings]) -> None:
        """Per-route throttling on the stage: the L2 HttpStage only sets the stage-wide default.

        A route's settings replace the default ones whole, so both limits are set on each.
        """
        stage = self.stage.node.default_child
        assert isinstance(stage, apigwv2.CfnStage)
        settings = {}
        for route in ROUTES:
            kind = route_class(route)
            if kind == "tracking":
                continue
            settings[route.route_key] = {
                "ThrottlingRateLimit": throttles[kind].rate_limit,
                "ThrottlingBurstLimit": throttles[kind].burst_limit,
            }
            # API Gateway rejects settings for a route key it does not know yet.
            stage.add_resource_dependency(self.routes[route.route_key].node.default_child)
        stage.route_settings = settings

    @property
    def url(self) -> str:
        return self.stage.url


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """IAccessLogSettings is a jsii interface, not a struct: a plain dict is rejected."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT)
