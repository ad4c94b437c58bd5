"""The OpenAPI document of the whole HTTP API (SPEC §3: every route is in it), built by Powertools from every
function's routes, then held to the API's conventions, so a new route is described right without repeating them:

- operationId: the route function's name (`create_campaign`): readable, and what a generated client calls it;
- errors: every 4xx and 503 answer uses the one error envelope (`ErrorEnvelope`), never a success model;
- 400 (not Powertools' 422) wherever a body or a parameter is validated, 415 wherever a JSON body is taken;
- who may call (shared/platform/deployment.py `Route.auth`): `admin` routes need SigV4 in AWS or the bearer token in
  local mode and may answer 401; `signed` routes need a Wom-Signature and may answer 401 and 503 (with Retry-After);
- a route in ROUTES that no function documents (the CORS preflight, answered by Powertools itself) is described here.

A route's own answers (success models, its domain errors with `problem(...)`, other content types, headers, links)
are declared on the route; shared/platform/http.py has the helpers.
"""

from __future__ import annotations

import importlib
import json
import re
from functools import lru_cache
from typing import Any

from shared.platform.deployment import FUNCTIONS, ROUTES, Route
from shared.platform.http import ErrorDetail, ErrorEnvelope

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
# Powertools' own validation schemas: wom answers validation errors with the envelope instead.
_POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")

SECURITY_SCHEMES = {
    "adminIam": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "In AWS: AWS Signature Version 4 of an IAM principal allowed to invoke the admin routes (API Gateway's "
        "IAM authorizer; a refused signature gets API Gateway's own 403).",
        "x-amazon-apigateway-authtype": "awsSigv4",
    },
    "adminBearer": {"type": "http", "scheme": "bearer", "description": "In local mode: `Authorization: Bearer $WOM_ADMIN_TOKEN`."},
    "womSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Wom-Signature",
        "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`: t in ASCII digits, within 300 s of "
        "wom's clock, signed exactly as sent; several v1= values may be given during a secret rotation.",
    },
    "stripeSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Stripe-Signature",
        "description": "Stripe's own webhook signature (`t=…,v1=…`, HMAC-SHA256 of `\"<t>.<raw body>\"` under the endpoint's "
        "whsec_ secret, 300 s tolerance).",
    },
    "shopifyHmac": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Shopify-Hmac-Sha256",
        "description": "Shopify's own webhook signature: base64 HMAC-SHA256 of the raw body under the app's client secret.",
    },
    "statusToken": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "An advocate's `status_token` from POST /v1/enrolments: signed by wom, naming one advocate, valid 30 days, "
        "good for GET /v1/advocate-status only.",
    },
}
_AUTH: dict[str, dict[str, Any]] = {
    "none": {"security": None, "errors": {}},
    "admin": {
        "security": [{"adminIam": []}, {"adminBearer": []}],
        "errors": {"401": "Local mode: the bearer token is missing or wrong"},
    },
    "signed": {
        "security": [{"womSignature": []}],
        "errors": {
            "401": "Missing, malformed, wrong or stale Wom-Signature (nothing was read or stored)",
            "503": "Storage is unavailable: retry after Retry-After seconds (the post is idempotent)",
        },
    },
    # Their signature answers are the platforms' conventions, declared by the routes themselves (Stripe: 400).
    "stripe": {"security": [{"stripeSignature": []}], "errors": {}},
    "shopify": {"security": [{"shopifyHmac": []}], "errors": {}},
    "token": {
        "security": [{"statusToken": []}],
        "errors": {"401": "The status token is missing, is not one wom issued, or has expired"},
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}

# Links between operations: the ids one answer hands the next (what a stateful fuzzer and a reader follow).
_LINKS: dict[tuple[str, str], dict[str, Any]] = {
    ("create_campaign", "201"): {
        "read_campaign": {"operationId": "read_campaign", "parameters": {"campaign_id": "$response.body#/campaign_id"}},
        "update_campaign": {"operationId": "update_campaign", "parameters": {"campaign_id": "$response.body#/campaign_id"}},
        "enrol_advocate": {"operationId": "enrol_advocate", "parameters": {"campaign_id": "$response.body#/campaign_id"}},
        "list_rewards": {"operationId": "list_rewards", "parameters": {"campaign_id": "$response.body#/campaign_id"}},
    },
    ("enrol_advocate", "201"): {
        "read_advocate": {"operationId": "read_advocate", "parameters": {"advocate_id": "$response.body#/advocate_id"}},
        "follow_referral_link": {"operationId": "follow_referral_link", "parameters": {"code": "$response.body#/code"}},
        "check_referral_link": {"operationId": "check_referral_link", "parameters": {"code": "$response.body#/code"}},
    },
    ("list_rewards", "200"): {
        "fulfil_reward": {"operationId": "fulfil_reward", "parameters": {"reward_id": "$response.body#/rewards/0/reward_id"}},
        "review_reward": {"operationId": "review_reward", "parameters": {"reward_id": "$response.body#/rewards/0/reward_id"}},
    },
}


def _routers() -> list[Any]:
    """Every function's router: a function with HTTP routes keeps them in functions/<name>/routes.py as `router`, or,
    when it answers without Powertools (tracking: its cold start), describes them in functions/<name>/openapi.py."""
    routers = []
    for function in FUNCTIONS:
        for name in (f"functions.{function.name}.openapi", f"functions.{function.name}.routes"):
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as missing:
                if missing.name != name:
                    raise
                continue
            if hasattr(module, "router"):
                routers.append(module.router)
                break
    return routers


def _readable_id(generated: str, path: str, method: str) -> str:
    """Powertools names an operation `<function>_<path>_<method>`; the function's name alone is the id."""
    return generated.removesuffix("_" + method).removesuffix(re.sub(r"\W", "_", path))


# JSON Schema keywords that make Powertools refuse a parameter (a plain string parameter cannot fail).
_CONSTRAINTS = {"pattern", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "anyOf", "oneOf", "$ref", "format"}


def _validated(operation: dict[str, Any]) -> bool:
    """Whether Powertools can refuse the request: it takes a body or a constrained parameter (the pixel's are plain
    strings it never checks)."""
    if operation.get("requestBody"):
        return True
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("required") and parameter.get("in") == "query" or _CONSTRAINTS & set(schema) or schema.get("type") not in (None, "string"):
            return True
    return False


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ENVELOPE}}, **extra}


def _hold_to_conventions(operation: dict[str, Any], route: Route, path: str, method: str) -> None:
    operation["operationId"] = _readable_id(operation["operationId"], path, method)
    responses: dict[str, Any] = operation["responses"]
    validated = responses.pop("422", None) is not None
    if validated and _validated(operation):
        responses.setdefault("400", _error("The request is not one this operation takes (see the message)"))
    if operation.get("requestBody"):
        responses.setdefault("415", _error("The body was not sent as application/json"))
    auth = _AUTH[route.auth]
    if auth["security"]:
        operation["security"] = auth["security"]
    for status, description in auth["errors"].items():
        responses.setdefault(status, _error(description, **({"headers": _RETRY_AFTER} if status == "503" else {})))
    for status, response in responses.items():
        content = response.get("content") or {}
        if 300 <= int(status) < 400 or int(status) == 204:
            response.pop("content", None)  # a redirect, or no content: no body
        elif int(status) >= 400 and (not content or "application/json" in content):
            response["content"] = {"application/json": {"schema": ENVELOPE}}
        if (operation["operationId"], status) in _LINKS:
            response["links"] = _LINKS[(operation["operationId"], status)]
    operation["responses"] = dict(sorted(responses.items()))
    operation.pop("deprecated", None) if operation.get("deprecated") is None else None


def _preflight(path: str) -> dict[str, Any]:
    """A CORS preflight, answered by Powertools from the function's CORS settings (no route function of ours)."""
    name = re.sub(r"\W+", "_", path).strip("_")
    return {
        "summary": "CORS preflight for the configured origins",
        "operationId": f"preflight_{name}",
        "responses": {
            "204": {
                "description": "The origin is allowed: Access-Control-Allow-* headers say what it may send",
                "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}, "Access-Control-Allow-Methods": {"schema": {"type": "string"}}},
            },
            "404": _error("No CORS origins are configured for this deployment"),
        },
    }


@lru_cache(maxsize=1)
def openapi_dict() -> dict[str, Any]:
    from shared.platform.http import create_resolver

    app = create_resolver()
    for router in _routers():
        app.include_router(router)
    document = json.loads(
        app.get_openapi_json_schema(title="wom", version="1", summary="Word-of-mouth referral tracking, conversions and rewards")
    )
    routes = {(route.method.lower(), route.path): route for route in ROUTES}
    paths: dict[str, dict[str, Any]] = document.setdefault("paths", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            route = routes.get((method, path))
            if route is None:
                raise LookupError(f"{method.upper()} {path} has a route function but no Route in shared/platform/deployment.py")
            _hold_to_conventions(operation, route, path, method)
    for (method, path), route in routes.items():
        if method == "options" and method not in paths.get(path, {}):
            paths.setdefault(path, {})[method] = _preflight(path)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _POWERTOOLS_SCHEMAS:
        schemas.pop(name, None)
    schemas["ErrorDetail"] = ErrorDetail.model_json_schema()
    schemas["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["ErrorEnvelope"].pop("$defs", None)
    components["securitySchemes"] = SECURITY_SCHEMES
    return document


@lru_cache(maxsize=1)
def openapi_document() -> str:
    # Compact, as every other answer.
    return json.dumps(openapi_dict(), separators=(",", ":"))
