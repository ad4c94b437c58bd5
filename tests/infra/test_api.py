"""The HTTP API: routes and their authorisation from shared.platform.deployment.ROUTES, integrations, stage."""

from __future__ import annotations

import json

import pytest

from infra.constructs.api import route_class
from shared.platform.deployment import FUNCTIONS, ROUTES, Route
from tests.infra.conftest import Synthesized
from tests.infra.test_functions import function_resource

ROUTE_IDS = [route.route_key for route in ROUTES]


def routes_by_key(synthesized: Synthesized) -> dict[str, dict]:
    return {
        resource["Properties"]["RouteKey"]: resource["Properties"]
        for resource in synthesized.resources("AWS::ApiGatewayV2::Route").values()
    }


def test_exactly_the_defined_routes(synthesized: Synthesized) -> None:
    assert sorted(routes_by_key(synthesized)) == sorted(route.route_key for route in ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_route_authorisation(synthesized: Synthesized, route: Route) -> None:
    expected = "AWS_IAM" if route.auth == "admin" else "NONE"
    assert routes_by_key(synthesized)[route.route_key]["AuthorizationType"] == expected


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_route_reaches_its_function(synthesized: Synthesized, route: Route) -> None:
    target = routes_by_key(synthesized)[route.route_key]["Target"]
    integration_id = target["Fn::Join"][1][1]["Ref"]
    integration = synthesized.template_json["Resources"][integration_id]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    (definition,) = [d for d in FUNCTIONS if d.name == route.function]
    function_id = function_resource(synthesized, definition)[0]
    assert integration["IntegrationUri"] == {"Fn::GetAtt": [function_id, "Arn"]}


def test_one_integration_and_one_invoke_permission_per_function(synthesized: Synthesized) -> None:
    routed = {route.function for route in ROUTES}
    assert len(synthesized.resources("AWS::ApiGatewayV2::Integration")) == len(routed)
    permissions = synthesized.resources("AWS::Lambda::Permission").values()
    assert sorted(p["Properties"]["FunctionName"]["Fn::GetAtt"][0] for p in permissions) == sorted(
        function_resource(synthesized, d)[0] for d in FUNCTIONS if d.name in routed
    )
    for permission in permissions:
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"


def test_default_stage_throttles_and_logs_access_without_personal_data(synthesized: Synthesized) -> None:
    (stage,) = synthesized.resources("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 5000, "ThrottlingRateLimit": 10000}

    log_group_id = properties["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert synthesized.template_json["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 30
    # Half the ingestion price: the access log is searched when debugging, never filtered into metrics.
    assert synthesized.template_json["Resources"][log_group_id]["Properties"]["LogGroupClass"] == "INFREQUENT_ACCESS"
    log_format = properties["AccessLogSettings"]["Format"]
    fields = json.loads(log_format)
    assert {value.removeprefix("$context.") for value in fields.values()} >= {"requestId", "routeKey", "status", "integrationErrorMessage", "error.message"}
    # SPEC §6: no raw IP address or user agent is stored anywhere, access logs included.
    assert "sourceIp" not in log_format and "userAgent" not in log_format


# The defaults (infra/config.py, cdk.json): requests per second and burst.
THROTTLES = {"tracking": (10_000, 5_000), "signed": (100, 200), "admin": (20, 40)}


def stage_properties(synthesized: Synthesized) -> dict:
    (stage,) = synthesized.resources("AWS::ApiGatewayV2::Stage").values()
    return stage["Properties"]


def test_routes_fall_into_the_three_throttle_classes() -> None:
    classes = {route.route_key: route_class(route) for route in ROUTES}
    assert classes["GET /r/{code}"] == classes["GET /p.gif"] == classes["POST /v1/events"] == "tracking"
    assert classes["POST /v1/conversions"] == classes["POST /v1/refunds"] == "signed"
    assert classes["GET /openapi.json"] == classes["POST /v1/campaigns"] == "admin"
    assert {route_class(route) for route in ROUTES if route.auth == "admin"} == {"admin"}
    # A route of a function nobody classified yet gets the tight class, not the tracking routes' generous one.
    assert route_class(Route("POST", "/v1/webhooks/new", "conversions")) == "signed"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_route_throttling(synthesized: Synthesized, route: Route) -> None:
    properties = stage_properties(synthesized)
    rate, burst = THROTTLES[route_class(route)]
    if route_class(route) == "tracking":
        # The stage's default, which a route without settings of its own gets.
        assert route.route_key not in properties["RouteSettings"]
        assert properties["DefaultRouteSettings"] == {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
    else:
        # Both limits on each: a route's settings replace the default ones whole.
        assert properties["RouteSettings"][route.route_key] == {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}


def test_stage_is_created_after_the_routes_it_throttles(synthesized: Synthesized) -> None:
    """CloudFormation rejects RouteSettings naming a route the API does not have yet."""
    (stage,) = synthesized.resources("AWS::ApiGatewayV2::Stage").values()
    route_ids = {
        resource["Properties"]["RouteKey"]: logical_id
        for logical_id, resource in synthesized.resources("AWS::ApiGatewayV2::Route").items()
    }
    assert {route_ids[key] for key in stage["Properties"]["RouteSettings"]} <= set(stage["DependsOn"])


def test_api_answers_cors_in_the_function_not_the_gateway(synthesized: Synthesized) -> None:
    (api,) = synthesized.resources("AWS::ApiGatewayV2::Api").values()
    assert "CorsConfiguration" not in api["Properties"]
    assert api["Properties"]["ProtocolType"] == "HTTP"
