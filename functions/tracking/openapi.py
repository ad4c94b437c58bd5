"""The tracking routes as the OpenAPI document describes them (functions/admin/openapi.py builds the document).

The tracking function itself answers through functions/tracking/routes.py without a web framework (its cold
start, SPEC §8); these declarations are documentation only and never run: tests/unit/test_tracking_models.py holds
the schemas below to the parser's answers, and tests/unit/test_tracking_routes_documented.py the routes to
shared.platform.deployment.ROUTES.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.platform.http import answer
from shared.platform.validation import EVENT_ID, StrictModel, as_utc
from shared.tracking.models import BATCH_MAX, CHANNEL_MAX, CODE_MAX

router = APIGatewayHttpRouter()

_NO_STORE_HEADER = {"description": "no-store: every follow reaches wom", "schema": {"type": "string"}}
_REDIRECT = {
    302: {
        "description": "To the campaign's destination with wom_ref and wom_click added (or, for an unknown code, to the "
        "deployment's fallback URL when one is configured)",
        "headers": {"Location": {"required": True, "description": "where the browser goes next", "schema": {"type": "string"}}, "Cache-Control": _NO_STORE_HEADER},
    },
    404: {
        "description": "Unknown or disabled code, with no fallback URL configured: a small HTML page",
        "headers": {"Cache-Control": _NO_STORE_HEADER},
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}
_PIXEL = {
    200: {
        "description": "The 43-byte transparent GIF, whatever the input; only valid input is recorded",
        "headers": {"Cache-Control": _NO_STORE_HEADER},
        "content": {"image/gif": {"schema": {"type": "string", "format": "binary"}}},
    }
}
# Described, not validated: the pixel answers its GIF whatever the query says.
_PIXEL_QUERY = {
    "parameters": [
        {"name": "t", "in": "query", "required": False, "description": "the event: share or view (anything else is not recorded)", "schema": {"type": "string"}},
        {"name": "c", "in": "query", "required": False, "description": "the advocate's referral code", "schema": {"type": "string"}},
        {"name": "ch", "in": "query", "required": False, "description": "the channel, e.g. email (unknown: other)", "schema": {"type": "string"}},
    ]
}


class TrackedEvent(StrictModel):
    type: Literal["share", "view", "click"]
    code: Annotated[str, Field(min_length=1, max_length=CODE_MAX)]
    channel: Annotated[str, Field(max_length=CHANNEL_MAX)] | None = None
    occurred_at: datetime | None = None
    event_id: Annotated[str, Field(pattern=EVENT_ID)] | None = None

    _utc = field_validator("occurred_at")(as_utc)

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _written_as_a_time(cls, value: Any) -> Any:
        # A number is no time here (pydantic would read it as Unix seconds; the tracking parser refuses it).
        if value is not None and not isinstance(value, str | datetime):
            raise ValueError("Input should be a valid datetime")
        return value


class EventBatch(BaseModel):
    events: Annotated[
        list[Any],
        Field(min_length=1, max_length=BATCH_MAX, description="1–100 events, each {type, code, channel?, occurred_at?, event_id?}"),
    ]


class RejectedEvent(BaseModel):
    index: int
    error: dict[str, str]


class EventBatchResult(BaseModel):
    accepted: int
    rejected: list[RejectedEvent]


class PixelQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    t: Literal["share", "view"]
    c: Annotated[str, Field(min_length=1, max_length=CODE_MAX)]
    ch: Annotated[str, Field(max_length=CHANNEL_MAX)] | None = None


def _documentation_only() -> None:
    raise NotImplementedError("the tracking function answers through functions/tracking/routes.py")


@router.get("/r/<code>", summary="Follow a referral link", responses=_REDIRECT)
def follow_referral_link(code: str):
    _documentation_only()


@router.head("/r/<code>", summary="Check a referral link (not recorded)", responses=_REDIRECT)
def check_referral_link(code: str):
    _documentation_only()


@router.get("/p.gif", summary="Tracking pixel: ?t=share|view&c=<code>&ch=<channel>", responses=_PIXEL, openapi_extensions=_PIXEL_QUERY)
def tracking_pixel():
    _documentation_only()


@router.post(
    "/v1/events",
    summary="Record shares, views and clicks from a browser widget",
    responses={200: answer(EventBatchResult, "How many were accepted, and why each other one was not")},
)
def record_events(batch: EventBatch) -> EventBatchResult:
    _documentation_only()
    raise AssertionError  # never reached; the annotation documents the answer


_SCRIPT = {
    200: {
        "description": "The script; gzip-encoded (Content-Encoding: gzip) when Accept-Encoding allows it",
        "headers": {
            "Cache-Control": {"description": "public, max-age=3600", "schema": {"type": "string"}},
            "ETag": {"description": "names this build (and encoding): send it back as If-None-Match", "schema": {"type": "string"}},
            "Vary": {"description": "Accept-Encoding", "schema": {"type": "string"}},
        },
        "content": {"application/javascript": {"schema": {"type": "string"}}},
    },
    304: {"description": "The copy named by If-None-Match is this build"},
}


@router.get("/wom.js", summary="The storefront script (SPEC 3.5): one tag on every page of a store", responses=_SCRIPT)
def storefront_script():
    _documentation_only()


@router.get("/wom-advocate.js", summary="The advocate's page part of wom.js, which wom.js loads where a page has one", responses=_SCRIPT)
def advocate_page_script():
    _documentation_only()
