"""The OpenAPI document says exactly what the API answers (SPEC §3; issue 11), for every route, new ones included."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from functions.admin.openapi import openapi_dict
from shared.platform.deployment import ROUTES
from shared.platform.errors import error_body

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_dict()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def operation(document: dict, operation_id: str) -> dict:
    return next(op for _, _, op in operations(document) if op["operationId"] == operation_id)


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_deployed_route_is_in_the_document_and_nothing_else(document):
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == {(route.method, route.path) for route in ROUTES}


def test_operation_ids_are_unique_readable_names(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id) and not operation_id.endswith(("_get", "_post", "_patch", "_head")), operation_id


def test_every_error_response_is_the_one_error_envelope(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["ErrorEnvelope"]["properties"]) == set(error_body("c", "m"))
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas)
    for method, path, op in operations(document):
        assert "422" not in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400 and "text/html" not in response.get("content", {}):
                assert response["content"] == {"application/json": {"schema": ENVELOPE}}, (method, path, status)


def test_validated_operations_document_400_and_json_bodies_415(document):
    for method, path, op in operations(document):
        if "requestBody" in op:
            assert {"400", "415"} <= set(op["responses"]), (method, path)
            assert list(op["requestBody"]["content"]) == ["application/json"]
    for operation_id in ("read_campaign", "list_rewards", "read_advocate", "fulfil_reward"):
        assert "400" in operation(document, operation_id)["responses"]
    for operation_id in ("tracking_pixel", "follow_referral_link", "read_openapi_document"):
        assert "400" not in operation(document, operation_id)["responses"], operation_id


def test_who_may_call_is_documented_with_its_401(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["adminBearer"] == {"type": "http", "scheme": "bearer", "description": schemes["adminBearer"]["description"]}
    assert schemes["adminIam"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert schemes["womSignature"]["name"] == "Wom-Signature" and schemes["womSignature"]["in"] == "header"
    by_key = {(route.method, route.path): route for route in ROUTES}
    for method, path, op in operations(document):
        route = by_key[(method, path)]
        if route.auth == "admin":
            assert op["security"] == [{"adminIam": []}, {"adminBearer": []}] and "401" in op["responses"], (method, path)
        elif route.auth == "signed":
            assert op["security"] == [{"womSignature": []}], (method, path)
            assert {"401", "503"} <= set(op["responses"]) and "Retry-After" in op["responses"]["503"]["headers"]
        elif route.auth == "token":
            assert op["security"] == [{"statusToken": []}] and "401" in op["responses"], (method, path)
            assert schemes["statusToken"] == {"type": "apiKey", "in": "query", "name": "token", "description": schemes["statusToken"]["description"]}
        elif route.auth == "stripe":
            assert op["security"] == [{"stripeSignature": []}] and "400" in op["responses"], (method, path)
        elif route.auth == "shopify":
            assert op["security"] == [{"shopifyHmac": []}] and "401" in op["responses"], (method, path)
        else:
            assert "security" not in op and "401" not in op["responses"], (method, path)


def test_successes_carry_their_models(document):
    def model(operation_id: str, status: str) -> str:
        return operation(document, operation_id)["responses"][status]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert model("update_campaign", "200") == "Campaign"
    assert model("fulfil_reward", "200") == "Reward"
    assert model("create_campaign", "201") == "Campaign"
    assert {model("enrol_advocate", s) for s in ("200", "201")} == {"AdvocateLink"}
    assert {model("record_conversion", s) for s in ("200", "201")} == {"ConversionResult"}
    assert model("list_rewards", "200") == "RewardPage"


def test_the_redirect_the_pixel_the_document_and_the_preflight(document):
    for operation_id in ("follow_referral_link", "check_referral_link"):
        responses = operation(document, operation_id)["responses"]
        assert "content" not in responses["302"] and "Location" in responses["302"]["headers"]
        assert list(responses["404"]["content"]) == ["text/html"]
    pixel = operation(document, "tracking_pixel")
    assert list(pixel["responses"]) == ["200"] and list(pixel["responses"]["200"]["content"]) == ["image/gif"]
    assert [(p["name"], p["in"], p["required"]) for p in pixel["parameters"]] == [("t", "query", False), ("c", "query", False), ("ch", "query", False)]
    assert list(operation(document, "read_openapi_document")["responses"]) == ["200"]
    assert set(document["paths"]["/v1/events"]["options"]["responses"]) == {"204", "404"}


def _numbers(schema: dict, schemas: dict, path: str, seen: set[str]):
    """Every number or integer a request schema takes, with where it sits."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            yield from _numbers(schemas[name], schemas, name, seen | {name})
        return
    if schema.get("type") in ("integer", "number"):
        yield path, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _numbers(option, schemas, path, seen)
    for name, value in schema.get("properties", {}).items():
        yield from _numbers(value, schemas, f"{path}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _numbers(schema["items"], schemas, f"{path}[]", seen)


def test_every_number_a_request_takes_is_bounded_in_the_schema(document):
    schemas = document["components"]["schemas"]
    found = []
    for method, path, op in operations(document):
        sources = [p.get("schema", {}) for p in op.get("parameters", [])]
        sources += [c["schema"] for c in op.get("requestBody", {}).get("content", {}).values()]
        for source in sources:
            for where, number in _numbers(source, schemas, f"{method} {path}", set()):
                found.append(where)
                assert {"minimum", "exclusiveMinimum"} & set(number) and {"maximum", "exclusiveMaximum"} & set(number), where
    assert len(found) >= 8  # amounts, reward values, caps, windows, holding, limit


def test_patch_fields_may_be_left_out_but_are_never_null(document):
    patch = document["components"]["schemas"]["CampaignPatch"]
    for name, schema in patch["properties"].items():
        assert "default" not in schema and "null" not in str(schema), name
    assert "required" not in patch
