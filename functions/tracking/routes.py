"""Public tracking routes (SPEC §3.1). They answer browsers, so they never fail them."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from shared import wiring
from shared.platform.clock import utc_now
from shared.platform.ids import is_valid_code
from shared.platform.errors import WomError
from shared.platform.http import visitor_of
from shared.tracking.links import referral_redirect_url
from shared.tracking.models import EventBatch, EventBatchResult, PixelQuery, RejectedEvent, TrackedEvent
from shared.platform.observability import logger
from shared.tracking.rules import EventRecord, Visitor, event_time, plan_click, plan_share_or_view

router = APIGatewayHttpRouter()

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<body style='font-family:system-ui;margin:4em auto;max-width:32em'>"
    "<h1>This referral link doesn't exist</h1><p>It may have been mistyped or switched off.</p></body></html>"
)


def _unknown_link() -> Response:
    fallback = wiring.tracking().settings.fallback_url
    if fallback:
        return Response(status_code=302, headers={"Location": fallback, **NO_STORE})
    return Response(status_code=404, content_type="text/html; charset=utf-8", body=NOT_FOUND_PAGE, headers=NO_STORE)


def _redirect(code: str, record: bool) -> Response:
    tracking = wiring.tracking()
    target = tracking.link_target(code) if is_valid_code(code) else None
    if target is None:
        return _unknown_link()
    now = utc_now()
    click_id, click = plan_click(
        target, visitor_of(router), tracking.salts.salt_for, now, "redirect", tracking.settings.raw_event_retention_days
    )
    if record:
        try:
            tracking.events.record(click)
        except Exception:
            # The visitor still gets where they were going.
            logger.exception("click not recorded", extra={"code": code})
    location = referral_redirect_url(target.destination_url, code, click_id)
    return Response(status_code=302, headers={"Location": location, "Referrer-Policy": "no-referrer", **NO_STORE})


@router.get("/r/<code>", summary="Follow a referral link", responses={302: {"description": "To the campaign's destination"}, 404: {"description": "Unknown or disabled code"}})
def follow_referral_link(code: str):
    return _redirect(code, record=True)


@router.head("/r/<code>", summary="Check a referral link (not recorded)", responses={302: {"description": "To the campaign's destination"}, 404: {"description": "Unknown or disabled code"}})
def check_referral_link(code: str):
    return _redirect(code, record=False)


@router.get("/p.gif", summary="Tracking pixel: ?t=share|view&c=<code>&ch=<channel>", responses={200: {"description": "The 43-byte transparent GIF, whatever the input"}})
def tracking_pixel():
    try:
        _record_pixel(router.current_event.query_string_parameters or {}, visitor_of(router))
    except Exception:
        logger.exception("pixel event not recorded")
    return Response(status_code=200, content_type="image/gif", body=TRANSPARENT_GIF, headers=NO_STORE)


def _record_pixel(query: dict[str, str], visitor: Visitor) -> None:
    try:
        pixel = PixelQuery.model_validate(query)
    except ValidationError:
        return
    tracking = wiring.tracking()
    target = tracking.link_target(pixel.c) if is_valid_code(pixel.c) else None
    if target is None:
        return
    record = plan_share_or_view(
        pixel.t, target, visitor, utc_now(), "pixel", tracking.settings.raw_event_retention_days, channel=pixel.ch
    )
    tracking.events.record(record)


def _plan_event(raw: object, visitor: Visitor, now) -> EventRecord:
    event = TrackedEvent.model_validate(raw)
    tracking = wiring.tracking()
    target = tracking.link_target(event.code) if is_valid_code(event.code) else None
    if target is None:
        raise WomError(f"unknown referral code {event.code!r}", code="unknown_code")
    retention = tracking.settings.raw_event_retention_days
    if event.type == "click":
        event_time(event.occurred_at, now)
        return plan_click(target, visitor, tracking.salts.salt_for, now, "api", retention, channel=event.channel)[1]
    return plan_share_or_view(
        event.type, target, visitor, now, "api", retention,
        channel=event.channel, occurred_at=event.occurred_at, event_id=event.event_id,
    )


@router.post("/v1/events", summary="Record shares, views and clicks from a browser widget")
def record_events(batch: EventBatch) -> EventBatchResult:
    visitor = visitor_of(router)
    now = utc_now()
    records: list[EventRecord] = []
    rejected: list[RejectedEvent] = []
    for index, raw in enumerate(batch.events):
        try:
            records.append(_plan_event(raw, visitor, now))
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first.get("loc", ()))
            message = f"{field}: {first['msg']}" if field else first["msg"]
            rejected.append(RejectedEvent(index=index, error={"code": "invalid_event", "message": message}))
        except WomError as error:
            rejected.append(RejectedEvent(index=index, error={"code": error.code, "message": error.message}))
    wiring.tracking().events.record_many(records)
    return EventBatchResult(accepted=len(records), rejected=rejected)
