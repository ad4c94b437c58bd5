"""Public tracking routes (SPEC §3.1). They answer browsers, so they never fail them."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared import wiring
from shared.platform.http import answer, visitor_of
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

# Described, not validated: the pixel answers its GIF whatever the query says, so Powertools must not check it.
_PIXEL_QUERY = {
    "parameters": [
        {"name": "t", "in": "query", "required": False, "description": "the event: share or view (anything else is not recorded)", "schema": {"type": "string"}},
        {"name": "c", "in": "query", "required": False, "description": "the advocate's referral code", "schema": {"type": "string"}},
        {"name": "ch", "in": "query", "required": False, "description": "the channel, e.g. email (unknown: other)", "schema": {"type": "string"}},
    ]
}


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


@router.get("/r/<code>", summary="Follow a referral link", responses=_REDIRECT)
def follow_referral_link(code: str):
    return _redirect(code, record=True)


@router.head("/r/<code>", summary="Check a referral link (not recorded)", responses=_REDIRECT)
def check_referral_link(code: str):
    return _redirect(code, record=False)


@router.get("/p.gif", summary="Tracking pixel: ?t=share|view&c=<code>&ch=<channel>", responses=_PIXEL, openapi_extensions=_PIXEL_QUERY)
def tracking_pixel():
    try:
        wiring.tracking().record_pixel(router.current_event.query_string_parameters or {}, visitor_of(router))
    except Exception:
        logger.exception("pixel event not recorded")
    return Response(status_code=200, content_type="image/gif", body=TRANSPARENT_GIF, headers=NO_STORE)


@router.post(
    "/v1/events",
    summary="Record shares, views and clicks from a browser widget",
    responses={200: answer(EventBatchResult, "How many were accepted, and why each other one was not")},
)
def record_events(batch: EventBatch) -> EventBatchResult:
    return wiring.tracking().record_events(batch, visitor_of(router))


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


def _script(path: str) -> Response:
    # Imported on the first request for a script, not at the cold start of every click.
    from shared.tracking.scripts import script_answer

    headers = router.current_event.headers or {}
    served = script_answer(path, headers.get("accept-encoding"), headers.get("if-none-match"))
    content_type = served.headers.pop("Content-Type")
    # Gzipped bytes go base64-encoded (Powertools does it for a bytes body); the plain script goes as text.
    body = served.body if "Content-Encoding" in served.headers else served.body.decode()
    return Response(status_code=served.status, content_type=content_type, body=body, headers=served.headers)


@router.get("/wom.js", summary="The storefront script (SPEC 3.5): one tag on every page of a store", responses=_SCRIPT)
def storefront_script():
    return _script("/wom.js")


@router.get("/wom-advocate.js", summary="The advocate's page part of wom.js, which wom.js loads where a page has one", responses=_SCRIPT)
def advocate_page_script():
    return _script("/wom-advocate.js")
