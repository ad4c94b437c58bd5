"""The tracking function parses its input by hand (no pydantic: its cold start); the OpenAPI document describes
the same shapes with pydantic models (functions/tracking/openapi.py). Both must give the same answer to every
input: accepted with the same values, or refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from functions.tracking import openapi
from shared.platform.deployment import ROUTES
from shared.tracking.models import InvalidEvent, batch_events, pixel_query, tracked_event

EXAMPLES = [
    {"type": "share", "code": "abcdefghjk"},
    {"type": "view", "code": "  abcdefghjk  ", "channel": " email "},
    {"type": "click", "code": "x" * 64, "channel": "c" * 64},
    {"type": "click", "code": "x" * 65},
    {"type": "share", "code": ""},
    {"type": "share", "code": "   "},
    {"type": "share"},
    {"code": "abc"},
    {"type": "like", "code": "abc"},
    {"type": "share", "code": "abc", "channel": "c" * 65},
    {"type": "share", "code": "abc", "extra": 1},
    {"type": "share", "code": 5},
    {"type": "share", "code": "abc", "event_id": "e-1:2.3_x"},
    {"type": "share", "code": "abc", "event_id": "has space"},
    {"type": "share", "code": "abc", "event_id": "e" * 129},
    {"type": "share", "code": "abc", "occurred_at": "2026-11-20T10:00:00Z"},
    {"type": "share", "code": "abc", "occurred_at": "2026-11-20T10:00:00+02:00"},
    {"type": "share", "code": "abc", "occurred_at": "2026-11-20T10:00:00"},
    {"type": "share", "code": "abc", "occurred_at": "yesterday-ish"},
    {"type": "share", "code": "abc", "occurred_at": None, "channel": None, "event_id": None},
    "not an object",
    None,
    ["share"],
]


def documented(raw: object) -> dict | None:
    try:
        return openapi.TrackedEvent.model_validate(raw).model_dump()
    except ValidationError:
        return None


def parsed(raw: object) -> dict | None:
    try:
        event = tracked_event(raw)
    except InvalidEvent:
        return None
    return {"type": event.type, "code": event.code, "channel": event.channel, "occurred_at": event.occurred_at, "event_id": event.event_id}


@pytest.mark.parametrize("raw", EXAMPLES, ids=range(len(EXAMPLES)))
def test_the_parser_and_the_documented_model_agree(raw: object) -> None:
    assert parsed(raw) == documented(raw)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["type", "code", "channel", "occurred_at", "event_id", "other"]),
        st.one_of(st.none(), st.sampled_from(["share", "view", "click", "like", "", " ", "abc", "2026-11-20T10:00:00Z"]), st.text(max_size=70), st.integers()),
    )
)
def test_the_parser_and_the_documented_model_agree_on_generated_events(raw: dict) -> None:
    assert parsed(raw) == documented(raw)


def test_refusals_say_which_field() -> None:
    with pytest.raises(InvalidEvent, match="^type: "):
        tracked_event({"type": "like", "code": "abc"})
    with pytest.raises(InvalidEvent, match="^code: "):
        tracked_event({"type": "share"})
    assert tracked_event({"type": "share", "code": "abc", "occurred_at": "2026-11-20T10:00:00"}).occurred_at == datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.mark.parametrize("body,ok", [({"events": [1]}, True), ({"events": [1] * 100, "other": 1}, True), ({"events": []}, False), ({"events": [1] * 101}, False), ({"events": "x"}, False), ([], False), (None, False), ({"other": 1}, False)])
def test_a_batch_is_one_to_a_hundred_events(body: object, ok: bool) -> None:
    try:
        openapi.EventBatch.model_validate(body)
        documented_ok = True
    except ValidationError:
        documented_ok = False
    try:
        batch_events(body)
        parsed_ok = True
    except ValueError:
        parsed_ok = False
    assert parsed_ok == documented_ok == ok


@pytest.mark.parametrize(
    "query",
    [{"t": "share", "c": "abc"}, {"t": "view", "c": "abc", "ch": "email", "x": "1"}, {"t": "click", "c": "abc"}, {"t": "share"}, {"t": "share", "c": ""}, {"t": "share", "c": "x" * 65}, {"t": "view", "c": "abc", "ch": "x" * 65}, {}],
)
def test_the_pixel_query_parser_and_the_documented_model_agree(query: dict) -> None:
    try:
        expected = openapi.PixelQuery.model_validate(query).model_dump()
    except ValidationError:
        expected = None
    pixel = pixel_query(query)
    assert (None if pixel is None else {"t": pixel.t, "c": pixel.c, "ch": pixel.ch}) == expected


def test_every_tracking_route_is_answered_and_documented() -> None:
    from functions.tracking.handler import PREFLIGHT_ROUTES
    from functions.tracking.routes import ROUTES as ANSWERED

    deployed = {route.route_key for route in ROUTES if route.function == "tracking"}
    assert deployed == set(ANSWERED) | PREFLIGHT_ROUTES
    documented_routes = {f"{method} {rule.replace('<', '{').replace('>', '}')}" for (rule, methods, *_rest) in openapi.router._routes for method in methods}
    assert documented_routes == set(ANSWERED)
