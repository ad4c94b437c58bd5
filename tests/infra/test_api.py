"""The HTTP API: routes and their authorisation from shared.platform.deployment.ROUTES, integrations, stage."""

from __future__ import annotations

import json

import pytest

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
    log_format = properties["AccessLogSettings"]["Format"]
    fields = json.loads(log_format)
    assert {"requestId", "routeKey", "status", "integrationError"} <= set(fields)
    # SPEC §6: no raw IP address or user agent is stored anywhere, access logs included.
    assert "sourceIp" not in log_format and "userAgent" not in log_format


def test_api_answers_cors_in_the_function_not_the_gateway(synthesized: Synthesized) -> None:
    (api,) = synthesized.resources("AWS::ApiGatewayV2::Api").values()
    assert "CorsConfiguration" not in api["Properties"]
    assert api["Properties"]["ProtocolType"] == "HTTP"
