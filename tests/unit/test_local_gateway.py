"""The local API Gateway stand-in: routing, the payload 2.0 event it builds, and the HTTP it answers with."""

from __future__ import annotations

import base64
import json

import pytest
from werkzeug.test import Client

from local.gateway import Gateway, LocalPage, loggable_request_line, match_route
from shared.platform.deployment import Route

TOKEN = "unit-admin-token"


class FakeFunctions:
    """Stands in for the Lambda handlers: records each event, answers with `result`."""

    def __init__(self, result: object = None) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.result = result if result is not None else {"statusCode": 200, "headers": {}, "body": ""}

    def __call__(self, function_name: str, event: dict) -> object:
        self.calls.append((function_name, event))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    @property
    def event(self) -> dict:
        assert len(self.calls) == 1, self.calls
        return self.calls[0][1]


def client_for(functions: FakeFunctions) -> Client:
    # Without a cookie jar the test client passes the Cookie header through as sent.
    return Client(Gateway(invoke=functions, admin_bearer_token=TOKEN), use_cookies=False)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/r/abc123", "GET /r/{code}", {"code": "abc123"}),
        ("HEAD", "/r/abc123", "HEAD /r/{code}", {"code": "abc123"}),
        ("GET", "/p.gif", "GET /p.gif", {}),
        ("POST", "/v1/campaigns/demo/advocates", "POST /v1/campaigns/{campaign_id}/advocates", {"campaign_id": "demo"}),
        ("GET", "/v1/campaigns/demo", "GET /v1/campaigns/{campaign_id}", {"campaign_id": "demo"}),
    ],
)
def test_routes_match_their_templates(method, path, route_key, parameters):
    match = match_route(method, path)
    assert match is not None
    assert match.route.route_key == route_key
    assert match.path_parameters == parameters


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/r/"), ("GET", "/r/a/b"), ("POST", "/r/abc"), ("DELETE", "/v1/campaigns/demo"), ("GET", "/p.gif/"), ("GET", "/")],
)
def test_requests_without_a_route_match_nothing(method, path):
    assert match_route(method, path) is None


def test_literal_segments_win_over_variables_and_greedy_variables_take_the_rest():
    routes = (Route("GET", "/a/{proxy+}", "admin"), Route("GET", "/a/{x}", "admin"), Route("GET", "/a/b", "admin"))
    assert match_route("GET", "/a/b", routes).route.path == "/a/b"
    assert match_route("GET", "/a/c", routes).route.path == "/a/{x}"
    assert match_route("GET", "/a/c/d", routes).path_parameters == {"proxy": "c/d"}


def test_unrouted_request_is_404_with_the_error_shape_and_never_reaches_a_function():
    functions = FakeFunctions()
    response = client_for(functions).delete("/r/abc")
    assert response.status_code == 404
    assert response.json == {"error": {"code": "route_not_found", "message": "no route for DELETE /r/abc"}}
    assert functions.calls == []


def test_get_becomes_a_payload_2_event():
    functions = FakeFunctions()
    client_for(functions).get(
        "/r/abc123",
        query_string="x=1&x=2&y=a+b%20c&empty=",
        headers={
            "Host": "links.example.com:8000",
            "User-Agent": "UnitAgent/1.0",
            "X-Forwarded-For": "198.51.100.99",
            "X-Forwarded-Proto": "gopher",
            "Cookie": "a=1; b=2",
        },
        environ_overrides={"HTTP_ACCEPT": "text/html,image/gif"},  # what werkzeug's server makes of two Accept headers
        environ_base={"REMOTE_ADDR": "192.0.2.10", "SERVER_PROTOCOL": "HTTP/1.1"},
    )
    name, event = functions.calls[0]
    assert name == "tracking"
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /r/{code}"
    assert event["rawPath"] == "/r/abc123"
    assert event["rawQueryString"] == "x=1&x=2&y=a+b%20c&empty="
    assert event["queryStringParameters"] == {"x": "1,2", "y": "a b c", "empty": ""}
    assert event["pathParameters"] == {"code": "abc123"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["user-agent"] == "UnitAgent/1.0"
    assert event["headers"]["accept"] == "text/html,image/gif"
    assert all(name == name.lower() for name in event["headers"])
    # The client's X-Forwarded-For is kept, with the connection's address appended, but never becomes sourceIp.
    assert event["headers"]["x-forwarded-for"] == "198.51.100.99, 192.0.2.10"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/r/abc123",
        "protocol": "HTTP/1.1",
        "sourceIp": "192.0.2.10",
        "userAgent": "UnitAgent/1.0",
    }
    assert context["domainName"] == "links.example.com"
    assert context["domainPrefix"] == "links"
    assert context["routeKey"] == "GET /r/{code}"
    assert context["stage"] == "$default"
    assert context["requestId"] and context["accountId"] and context["apiId"]
    assert isinstance(context["timeEpoch"], int)
    assert context["time"].endswith(" +0000")
    assert "authorizer" not in context


def test_no_query_string_means_no_query_parameters_and_no_path_parameters_without_variables():
    functions = FakeFunctions()
    client_for(functions).get("/p.gif")
    event = functions.event
    assert event["rawQueryString"] == ""
    assert "queryStringParameters" not in event
    assert "pathParameters" not in event
    assert "cookies" not in event


def test_non_utf8_percent_escapes_in_the_query_still_make_an_event():
    functions = FakeFunctions()
    client_for(functions).get("/p.gif", query_string="t=%ff%fe&c=%C3%28")
    event = functions.event
    assert event["rawQueryString"] == "t=%ff%fe&c=%C3%28"
    assert set(event["queryStringParameters"]) == {"t", "c"}
    json.dumps(event)  # the event must serialise as Lambda would send it


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "text/plain;charset=UTF-8"])
def test_json_and_text_bodies_are_passed_as_text(content_type):
    functions = FakeFunctions()
    client_for(functions).post("/v1/events", data='{"events": []}', content_type=content_type)
    assert functions.event["body"] == '{"events": []}'
    assert functions.event["isBase64Encoded"] is False
    assert functions.event["headers"]["content-type"] == content_type


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/octet-stream", b"\x00\x01\xff"),
        ("image/png", b"\x89PNG"),
        ("application/x-www-form-urlencoded", b"a=1&b=2"),
        (None, b'{"events": []}'),
        ("application/json", b"\xff\xfe{"),
    ],
)
def test_binary_or_undecodable_body_is_base64_encoded(content_type, body):
    functions = FakeFunctions()
    headers = {"Content-Type": content_type} if content_type else {}
    client_for(functions).post("/v1/events", data=body, headers=headers)
    assert functions.event["isBase64Encoded"] is True
    assert base64.b64decode(functions.event["body"]) == body


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", TOKEN])
def test_admin_routes_need_the_bearer_token(authorization):
    functions = FakeFunctions()
    headers = {"Authorization": authorization} if authorization else {}
    response = client_for(functions).post("/v1/campaigns", json={}, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert functions.calls == []


def test_admin_route_with_the_token_reaches_the_admin_function_with_an_iam_identity():
    functions = FakeFunctions({"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": "{}"})
    response = client_for(functions).post("/v1/campaigns", json={}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 201
    name, event = functions.calls[0]
    assert name == "admin"
    assert "iam" in event["requestContext"]["authorizer"]


def test_public_routes_need_no_token():
    functions = FakeFunctions()
    assert client_for(functions).get("/openapi.json").status_code == 200


def test_response_headers_cookies_and_base64_body_become_http():
    gif = b"GIF89a\x01\x00"
    functions = FakeFunctions(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "image/gif", "Cache-Control": "no-store"},
            "multiValueHeaders": {"X-Many": ["one", "two"]},
            "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
            "body": base64.b64encode(gif).decode(),
            "isBase64Encoded": True,
        }
    )
    response = client_for(functions).get("/p.gif")
    assert response.status_code == 200
    assert response.data == gif
    assert response.headers["Content-Type"] == "image/gif"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("X-Many") == ["one", "two"]
    assert response.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]


def test_redirect_location_is_passed_verbatim_and_no_content_type_is_invented():
    location = "https://shop.example.com/welcome?utm_source=wom&wom_ref=abc#signup"
    functions = FakeFunctions({"statusCode": 302, "headers": {"Location": location}})
    response = client_for(functions).get("/r/abc")
    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert "Content-Type" not in response.headers
    assert response.data == b""


def test_head_sends_no_body():
    functions = FakeFunctions({"statusCode": 302, "headers": {"Location": "https://x.example/"}, "body": "moved"})
    response = client_for(functions).head("/r/abc")
    assert response.status_code == 302
    assert response.data == b""
    assert functions.event["requestContext"]["http"]["method"] == "HEAD"


def test_answer_without_status_code_is_a_json_200():
    functions = FakeFunctions({"hello": "world"})
    response = client_for(functions).get("/openapi.json")
    assert response.status_code == 200
    assert response.json == {"hello": "world"}


@pytest.mark.parametrize(
    "result",
    [RuntimeError("boom"), {"statusCode": "200"}, {"statusCode": 200, "body": {"not": "a string"}}],
)
def test_a_failing_function_or_a_broken_answer_is_a_500_with_the_error_shape(result, caplog):
    response = client_for(FakeFunctions(result)).get("/p.gif")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "unhandled exception" in caplog.text


@pytest.mark.parametrize(("sent", "raw"), [("/r/%00", "/r/%00"), ("/r/a%20b", "/r/a%20b"), ("/r/%C3%A9t%C3%A9", "/r/%C3%A9t%C3%A9")])
def test_the_path_reaches_the_function_as_sent(sent, raw):
    # API Gateway keeps percent-escapes in rawPath; the function's router matches on it.
    functions = FakeFunctions()
    client_for(functions).get(sent)
    assert functions.event["rawPath"] == raw
    assert functions.event["requestContext"]["http"]["path"] == raw


def test_local_mode_s_clock_moves_only_when_the_setting_allows_it_and_only_with_the_token():
    from datetime import UTC, datetime

    from shared import wiring

    fixed = Client(Gateway(invoke=lambda *_: {"statusCode": 200}, admin_bearer_token="t"))
    assert fixed.put("/_local/clock", json={"now": "2026-01-05T10:00:00Z"}, headers={"Authorization": "Bearer t"}).status_code == 404
    movable = Client(Gateway(invoke=lambda *_: {"statusCode": 200}, admin_bearer_token="t", movable_clock=True))
    assert movable.put("/_local/clock", json={"now": "2026-01-05T10:00:00Z"}).status_code == 401
    assert movable.put("/_local/clock", json={"now": "soon"}, headers={"Authorization": "Bearer t"}).status_code == 400
    try:
        moved = movable.put("/_local/clock", json={"now": "2026-01-05T10:00:00Z"}, headers={"Authorization": "Bearer t"})
        assert moved.status_code == 200 and moved.json == {"now": "2026-01-05T10:00:00.000Z", "moved": True}
        assert wiring.now() == datetime(2026, 1, 5, 10, tzinfo=UTC)
        restored = movable.put("/_local/clock", json={"now": None}, headers={"Authorization": "Bearer t"})
        assert restored.json["moved"] is False and wiring.now().year >= 2026 and wiring.now() != datetime(2026, 1, 5, 10, tzinfo=UTC)
    finally:
        wiring.reset()


def test_local_pages_are_served_beside_the_api_and_never_reach_a_function():
    functions = FakeFunctions()
    gateway = Gateway(invoke=functions, admin_bearer_token=TOKEN, pages={"/demo": LocalPage("text/html; charset=utf-8", b"<p>demo</p>")})
    client = Client(gateway, use_cookies=False)
    page = client.get("/demo")
    assert (page.status_code, page.data, page.headers["Content-Type"]) == (200, b"<p>demo</p>", "text/html; charset=utf-8")
    assert client.head("/demo").data == b""
    assert client.post("/demo").status_code == 404, "a page is only read"
    assert client.get("/demo/other").status_code == 404
    assert functions.calls == []


@pytest.mark.parametrize(
    ("line", "logged"),
    [
        ("GET /v1/advocate-status?token=st1.adv_x.1.mac HTTP/1.1", "GET /v1/advocate-status?token=<redacted> HTTP/1.1"),
        ("GET /v1/advocate-status?a=1&token=st1.adv_x.1.mac&b=2 HTTP/1.1", "GET /v1/advocate-status?a=1&token=<redacted>&b=2 HTTP/1.1"),
        ("GET /r/abc?utm=token HTTP/1.1", "GET /r/abc?utm=token HTTP/1.1"),
    ],
)
def test_the_access_log_never_holds_a_status_token(line, logged):
    assert loggable_request_line(line) == logged
