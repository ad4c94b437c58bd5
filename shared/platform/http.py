"""What every function's HTTP layer shares: the resolver, the error shape and the client's identity."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, RequestUnsupportedContentType
from pydantic import BaseModel, Field

from shared.platform.cors import origin_allowed
from shared.platform.errors import WomError, error_body, error_json
from shared.platform.json_body import MAX_JSON_DEPTH, json_depth, read_json_body  # noqa: F401 - also used from here


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: what went wrong, e.g. campaign_not_found")
    message: str = Field(description="for a person: what went wrong and what to do")


class ErrorEnvelope(BaseModel):
    """Every 4xx (and 503) wom answers: {"error": {"code", "message"}} (SPEC §3)."""

    error: ErrorDetail


def problem(description: str, **extra: Any) -> dict[str, Any]:
    """A documented error response of a route (the OpenAPI document gives each the error envelope)."""
    return {"description": description, "content": {"application/json": {"model": ErrorEnvelope}}, **extra}


def answer(model: type[BaseModel], description: str, **extra: Any) -> dict[str, Any]:
    """A documented success response of a route whose status the route sets itself (201, or 200 on a replay)."""
    return {"description": description, "content": {"application/json": {"model": model}}, **extra}


RETRY_AFTER_SECONDS = "1"


def json_error(status: int, code: str, message: str) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=error_body(code, message))


def _describe(errors: list[dict]) -> str:
    parts = []
    for error in errors[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{location}: {error.get('msg')}" if location else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def _is_json(content_type: str) -> bool:
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


class JsonApiResolver(APIGatewayHttpResolver):
    """Every body wom takes is JSON: any other declared type is a 415 before Powertools looks at it (it would parse
    form and multipart bodies itself, and fail with a 500 on a multipart type without a boundary)."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type")
        if event.get("body") and content_type is not None and not _is_json(content_type):
            return {
                "statusCode": 415,
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": error_json("unsupported_media_type", "send the body as application/json"),
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


class OriginsCORSConfig(CORSConfig):
    """Powertools' CORS with one addition: an origin written `<scheme>://<host>:*` allows that host on any port
    (local mode allows http://localhost:* and http://127.0.0.1:*, wherever a developer serves a page from)."""

    def __init__(self, origins: tuple[str, ...]) -> None:
        super().__init__(allow_origin=origins[0], extra_origins=list(origins[1:]), max_age=600)
        self._any_port = tuple(origin[:-1] for origin in origins if origin.endswith(":*"))

    def _allows(self, origin: str | None) -> bool:
        return origin_allowed(origin, tuple(self._allowed_origins) + tuple(p + "*" for p in self._any_port))

    def allowed_origin(self, extracted_origin: str) -> str | None:
        return extracted_origin if self._allows(extracted_origin) else None

    def to_dict(self, origin: str | None) -> dict[str, str]:
        if not self._allows(origin):
            return {}
        # Powertools builds the headers for an origin on its list; the answer names the caller's own origin.
        return super().to_dict(origin if origin in self._allowed_origins else self._allowed_origins[0]) | {"Access-Control-Allow-Origin": str(origin)}


def create_resolver(cors_origins: tuple[str, ...] = ()) -> APIGatewayHttpResolver:
    cors = OriginsCORSConfig(cors_origins) if cors_origins else None
    app = JsonApiResolver(enable_validation=True, cors=cors, json_body_deserializer=read_json_body)

    @app.exception_handler(WomError)
    def _domain_error(error: WomError) -> Response:
        return json_error(error.status, error.code, error.message)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(error: RequestUnsupportedContentType) -> Response:
        return json_error(415, "unsupported_media_type", "send the body as application/json")

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        errors = list(error.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return json_error(400, "malformed_json", "the body is not valid JSON")
        return json_error(400, "invalid_request", _describe(errors))

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(error: UnicodeDecodeError) -> Response:
        return json_error(400, "malformed_json", "the body is not UTF-8 encoded JSON")

    from botocore.exceptions import BotoCoreError, ClientError

    from shared.platform.dynamo import TransactionCancelled, is_transient

    @app.exception_handler([ClientError, BotoCoreError, TransactionCancelled])
    def _storage_failed(error: Exception) -> Response:
        # Storage throttled, failing or out of time: 503 and a retry (signed posts are idempotent); else a defect.
        if not is_transient(error):
            raise error
        return Response(
            status_code=503,
            content_type=content_types.APPLICATION_JSON,
            body=error_body("unavailable", "storage is unavailable just now; retry after Retry-After seconds"),
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )

    @app.not_found
    def _no_route(error: NotFoundError) -> Response:
        return json_error(404, "route_not_found", "no such route")

    return app


def request_base_url(app: Any, configured: str | None) -> str:
    """Where advocate links start: the configured public base URL, else the host the request came in on (`app`: a
    resolver or router, during a request)."""
    if configured:
        return configured
    event = app.current_event
    headers = event.headers or {}
    host = headers.get("host") or event.request_context.domain_name
    scheme = "https" if headers.get("x-forwarded-proto", "https") == "https" else "http"
    return f"{scheme}://{host}"
