"""Public tracking routes (SPEC §3.1). They answer browsers, so they never fail them."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.platform.http import visitor_of
from shared.platform.observability import logger
from shared.tracking.models import EventBatch, EventBatchResult

router = APIGatewayHttpRouter()

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<body style='font-family:system-ui;margin:4em auto;max-width:32em'>"
    "<h1>This referral link doesn't exist</h1><p>It may have been mistyped or switched off.</p></body></html>"
)


def _unknown_link() -> Response:
    fallback = wiring.settings().fallback_url
    if fallback:
        return Response(status_code=302, headers={"Location": fallback, **NO_STORE})
    return Response(status_code=404, content_type="text/html; charset=utf-8", body=NOT_FOUND_PAGE, headers=NO_STORE)


def _redirect(code: str, record: bool) -> Response:
    redirect = wiring.tracking().record_click(code, visitor_of(router), record=record)
    if redirect is None:
        return _unknown_link()
    return Response(status_code=302, headers={"Location": redirect.location, "Referrer-Policy": "no-referrer", **NO_STORE})


@router.get("/r/<code>", summary="Follow a referral link", responses={302: {"description": "To the campaign's destination"}, 404: {"description": "Unknown or disabled code"}})
def follow_referral_link(code: str):
    return _redirect(code, record=True)


@router.head("/r/<code>", summary="Check a referral link (not recorded)", responses={302: {"description": "To the campaign's destination"}, 404: {"description": "Unknown or disabled code"}})
def check_referral_link(code: str):
    return _redirect(code, record=False)


@router.get("/p.gif", summary="Tracking pixel: ?t=share|view&c=<code>&ch=<channel>", responses={200: {"description": "The 43-byte transparent GIF, whatever the input"}})
def tracking_pixel():
    try:
        wiring.tracking().record_pixel(router.current_event.query_string_parameters or {}, visitor_of(router))
    except Exception:
        logger.exception("pixel event not recorded")
    return Response(status_code=200, content_type="image/gif", body=TRANSPARENT_GIF, headers=NO_STORE)


@router.post("/v1/events", summary="Record shares, views and clicks from a browser widget")
def record_events(batch: EventBatch) -> EventBatchResult:
    return wiring.tracking().record_events(batch, visitor_of(router))
