"""A local stand-in for the API Gateway HTTP API: the same routes, the same payload 2.0 events.

Each request is matched against `shared.platform.deployment.ROUTES`, turned into the event API Gateway would
send, handed to the route's Lambda handler in this process, and the handler's payload 2.0 answer is
turned back into HTTP. What API Gateway does on its own is done here too: 404 for a request without a
route, and the admin routes' authorizer (AWS IAM in AWS, a bearer token locally).
"""

from __future__ import annotations

import base64
import hmac
import importlib
import json
import logging
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.emulator import ACCOUNT_ID, FAKE_CREDENTIALS, REGION
from local.settings import local_settings
from shared.platform.budget import running
from shared.platform.deployment import FUNCTIONS, ROUTES, FunctionDefinition, Route
from shared.platform.errors import error_json

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
API_ID = "womlocal"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API's payload limit

# The only bodies API Gateway HTTP APIs pass as text; every other one (a form post, or no Content-Type
# at all) arrives base64-encoded.
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")

Handler = Callable[[dict, Any], Any]


# --- routing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return path.split("/")[1:]


def _match_template(template: str, path: str) -> dict[str, str] | None:
    wanted, actual = _segments(template), _segments(path)
    parameters: dict[str, str] = {}
    for index, part in enumerate(wanted):
        if part.startswith("{") and part.endswith("+}"):  # greedy: the rest of the path
            rest = "/".join(actual[index:])
            if not rest:
                return None
            parameters[part[1:-2]] = rest
            return parameters
        if index >= len(actual):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not actual[index]:
                return None
            parameters[part[1:-1]] = actual[index]
        elif part != actual[index]:
            return None
    return parameters if len(actual) == len(wanted) else None


def _specificity(route: Route) -> tuple[int, int]:
    # API Gateway prefers the most specific route: literal segments win over variables, greedy last.
    parts = _segments(route.path)
    return (sum(1 for p in parts if not p.startswith("{")), -sum(1 for p in parts if p.endswith("+}")))


def match_route(method: str, path: str, routes: Iterable[Route] = ROUTES) -> RouteMatch | None:
    for route in sorted((r for r in routes if r.method == method), key=_specificity, reverse=True):
        parameters = _match_template(route.path, path)
        if parameters is not None:
            return RouteMatch(route, parameters)
    return None


# --- the request as API Gateway hands it over -----------------------------------------------------


def _wsgi_text(value: str) -> str:
    """WSGI carries bytes as latin-1 strings; API Gateway hands the handler UTF-8 text."""
    return value.encode("latin-1").decode("utf-8", "replace")


def _request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Lower-cased names; werkzeug's server already joins repeated headers with commas."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].lower().replace("_", "-")
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.lower().replace("_", "-")
        else:
            continue
        if value != "":
            headers[name] = _wsgi_text(value)
    return headers


def _is_text(content_type: str | None) -> bool:
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    return mimetype.startswith("text/") or mimetype in _TEXT_TYPES


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True, errors="replace"):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _body_fields(body: bytes, content_type: str | None) -> dict[str, Any]:
    if not body:
        return {"isBase64Encoded": False}
    if _is_text(content_type):
        try:
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass  # not text after all: handed over as a binary body
    return {"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}


def _domain_name(host: str) -> str:
    if host.startswith("["):  # an IPv6 literal: [::1]:8000
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def _request_id() -> str:
    # HTTP API request ids look like "JKJaXmPLvHcESHA=".
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _trace_id(epoch: float) -> str:
    return f"Root=1-{int(epoch):08x}-{secrets.token_hex(12)}"


def raw_path(environ: Mapping[str, Any]) -> str:
    """The path as the client sent it, percent-escapes kept, as API Gateway puts it in rawPath (werkzeug's server
    keeps the request line in RAW_URI; PATH_INFO is already decoded)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return _wsgi_text(str(raw).split("?", 1)[0]) or "/"
    return quote(_wsgi_text(environ.get("PATH_INFO") or "/"), safe="/!$&'()*+,;=:@-._~")


def build_event(
    environ: Mapping[str, Any],
    match: RouteMatch,
    body: bytes,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway would send for this request."""
    now = time.time() if now is None else now
    method = environ["REQUEST_METHOD"]
    path = raw_path(environ)
    raw_query = _wsgi_text(environ.get("QUERY_STRING", ""))
    source_ip = environ.get("REMOTE_ADDR") or ""

    headers = _request_headers(environ)
    cookie_header = headers.pop("cookie", None)
    # API Gateway appends the connection's address to whatever X-Forwarded-For the client sent.
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    # These two describe API Gateway's own listener, whatever the client claimed.
    headers["x-forwarded-proto"] = environ.get("wsgi.url_scheme", "http")
    headers["x-forwarded-port"] = str(environ.get("SERVER_PORT", ""))
    headers.setdefault("x-amzn-trace-id", _trace_id(now))
    domain_name = _domain_name(headers.get("host") or str(environ.get("SERVER_NAME", "")))

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
    }
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.split(";") if c.strip()]
    query = _query_parameters(raw_query)
    if query:
        event["queryStringParameters"] = query
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": _request_id(),
        "routeKey": match.route.route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if match.route.auth == "admin":
        # What the IAM authorizer would add for the caller; locally the bearer token stands in for it.
        request_context["authorizer"] = {
            "iam": {
                "accessKey": "ASIALOCALADMIN",
                "accountId": ACCOUNT_ID,
                "callerId": "AROALOCALADMIN:local-admin",
                "principalOrgId": None,
                "userArn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/wom-local-admin/local-admin",
                "userId": "AROALOCALADMIN:local-admin",
            }
        }
    event["requestContext"] = request_context
    event.update(_body_fields(body, headers.get("content-type")))
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    return event


# --- the admin routes' authorizer ----------------------------------------------------------------

_SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/\s]+)/(?P<day>\d{8})/(?P<region>[^/\s]+)/(?P<service>[^/\s]+)/aws4_request,\s*"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
SIGV4_SKEW_SECONDS = 300  # AWS refuses signatures more than 5 minutes off


def sigv4_valid(method: str, url: str, headers: Mapping[str, str], body: bytes, now: float, access_key: str, secret_key: str, session_token: str | None = None) -> bool:
    """Whether a request carries a SigV4 signature for `execute-api` by these credentials, recomputed with
    botocore's own signer over exactly the headers it signed: what API Gateway's IAM authorizer checks before
    it asks IAM about the caller's policy (which local mode does not model: the emulator's keys may do all)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _SIGV4.match(headers.get("authorization", ""))
    stamp = headers.get("x-amz-date", "")
    if not match or match["key"] != access_key or match["service"] != "execute-api" or stamp[:8] != match["day"]:
        return False
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return False
    names = match["signed"].split(";")
    if abs(now - signed_at) > SIGV4_SKEW_SECONDS or "host" not in names or any(name not in headers for name in names):
        return False
    request = AWSRequest(method=method, url=url, data=body, headers={name: headers[name] for name in names})
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(access_key, secret_key, session_token), match["service"], match["region"])
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return hmac.compare_digest(expected, match["signature"])


# --- the Lambda side --------------------------------------------------------------------------------


class LambdaContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    def __init__(self, function: FunctionDefinition) -> None:
        self.function_name = f"wom-{function.name}"
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = function.memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + function.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(function: FunctionDefinition) -> Handler:
    module_name, _, attribute = function.handler.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


class FunctionInvoker:
    """Imports each function's handler on first use and calls it as Lambda would: one request at a time.

    A Lambda execution environment never runs two requests at once, and handlers keep per-request
    state in module globals (the Powertools resolver's current event), so each function's calls are serialized;
    different functions run side by side, as in AWS (the replay draining the spill queue while links answer).
    """

    def __init__(
        self,
        functions: Iterable[FunctionDefinition] = FUNCTIONS,
        load: Callable[[FunctionDefinition], Handler] = import_handler,
    ) -> None:
        self._functions = {f.name: f for f in functions}
        self._load = load
        self._handlers: dict[str, Handler] = {}
        self._locks = {name: threading.Lock() for name in self._functions}

    def __call__(self, function_name: str, event: dict) -> Any:
        function = self._functions[function_name]
        with self._locks[function_name]:
            handler = self._handlers.get(function_name)
            if handler is None:
                handler = self._handlers[function_name] = self._load(function)
            # Its storage calls have its own time limits, as the function alone in its process has in AWS.
            with running(function.name):
                return handler(event, LambdaContext(function))


# --- the HTTP side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalPage:
    """A page local mode serves beside the API (its demo shop), which API Gateway would not."""

    content_type: str
    body: bytes


class GatewayResponse(Response):
    # A handler that sets no Content-Type gets none, as behind API Gateway.
    default_mimetype = None
    autocorrect_location_header = False


def error_response(status: int, code: str, message: str) -> GatewayResponse:
    return GatewayResponse(error_json(code, message), status=status, content_type="application/json")


def _header_pairs(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    for name, value in single.items():
        if name.lower() in {m.lower() for m in multi}:
            continue
        pairs.append((name, str(value)))
    for name, values in multi.items():
        pairs.extend((name, str(v)) for v in (values or []))
    pairs.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    return pairs


def http_response(result: Any, method: str) -> GatewayResponse:
    """Turn a payload 2.0 answer into HTTP, inferring the format for answers without a statusCode."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway's rule: anything else is a JSON body with status 200.
        body: bytes = json.dumps(result, separators=(",", ":")).encode()
        response = GatewayResponse(body, status=200, content_type="application/json")
    else:
        status = result["statusCode"]
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"invalid statusCode {status!r}")
        raw_body = result.get("body")
        if raw_body is None:
            body = b""
        elif result.get("isBase64Encoded"):
            body = base64.b64decode(raw_body)
        elif isinstance(raw_body, str):
            body = raw_body.encode("utf-8")
        else:
            raise ValueError(f"body must be a string, not {type(raw_body).__name__}")
        response = GatewayResponse(body, status=status, headers=_header_pairs(result))
    if method == "HEAD":
        length = response.headers.get("Content-Length")
        response.set_data(b"")
        if length is not None:
            response.headers["Content-Length"] = length
    return response


# Local mode's clock, moved by `wom simulate --days` when WOM_MOVABLE_CLOCK is set.
CLOCK_PATH = "/_local/clock"


class Gateway:
    """The WSGI application: routes, authorizes, builds the event, invokes and answers."""

    def __init__(
        self,
        invoke: Callable[[str, dict], Any] | None = None,
        routes: Iterable[Route] = ROUTES,
        admin_bearer_token: str | None = None,
        movable_clock: bool = False,
        pages: Mapping[str, LocalPage] | None = None,
    ) -> None:
        self.invoke = invoke or FunctionInvoker()
        self.routes = tuple(routes)
        self.admin_bearer_token = admin_bearer_token or local_settings().admin_token
        self.movable_clock = movable_clock
        # By path; local mode adds its demo page once the demo campaign is seeded.
        self.pages: dict[str, LocalPage] = dict(pages or {})

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self.respond(environ)(environ, start_response)

    def _authorized(self, environ: Mapping[str, Any], body: bytes) -> bool:
        """The bearer token, or a SigV4 signature by the emulator's credentials (as `wom … --stack` signs in AWS)."""
        authorization = _wsgi_text(environ.get("HTTP_AUTHORIZATION", ""))
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return hmac.compare_digest(token.strip().encode(), self.admin_bearer_token.encode())
        headers = _request_headers(environ)
        query = environ.get("QUERY_STRING", "")
        url = f"{environ.get('wsgi.url_scheme', 'http')}://{headers.get('host', '')}{raw_path(environ)}" + (f"?{query}" if query else "")
        return sigv4_valid(
            environ["REQUEST_METHOD"],
            url,
            headers,
            body,
            time.time(),
            FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )

    def _move_clock(self, environ: dict) -> GatewayResponse:
        """`PUT /_local/clock {"now": ISO-8601 | null}`: every function of this process runs as of that time from now
        on (null: the system's clock again). Only with WOM_MOVABLE_CLOCK, only locally: the stack has no such route."""
        from shared import wiring
        from shared.platform.clock import iso, utc_now

        body = Request(environ).get_data(cache=False)
        if not self._authorized(environ, body):
            return error_response(401, "unauthorized", "send Authorization: Bearer <WOM_ADMIN_TOKEN>")
        try:
            wanted = json.loads(body or b"{}").get("now")
            moment = None if wanted is None else datetime.fromisoformat(str(wanted)).astimezone(timezone.utc)
        except (ValueError, AttributeError):
            return error_response(400, "invalid_request", 'send {"now": "<ISO-8601>"} or {"now": null}')
        wiring.use_clock(utc_now if moment is None else (lambda: moment))
        answer = json.dumps({"now": iso(wiring.now()), "moved": moment is not None}).encode()
        return GatewayResponse(answer, status=200, content_type="application/json")

    def respond(self, environ: dict) -> GatewayResponse:
        method = environ["REQUEST_METHOD"]
        path = _wsgi_text(environ.get("PATH_INFO") or "/")
        if path == CLOCK_PATH and method == "PUT" and self.movable_clock:
            return self._move_clock(environ)
        page = self.pages.get(path)
        if page is not None and method in ("GET", "HEAD"):
            return GatewayResponse(b"" if method == "HEAD" else page.body, status=200, content_type=page.content_type, headers={"Cache-Control": "no-store"})
        match = match_route(method, path, self.routes)
        if match is None:
            return error_response(404, "route_not_found", f"no route for {method} {path}")
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return error_response(413, "payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")
        if match.route.auth == "admin" and not self._authorized(environ, body):
            return error_response(401, "unauthorized", "send Authorization: Bearer <WOM_ADMIN_TOKEN>, or sign with SigV4 (execute-api) as in AWS")
        event = build_event(environ, match, body)
        try:
            result = self.invoke(match.route.function, event)
            return http_response(result, method)
        except Exception:
            logger.exception("unhandled exception in the %s function for %s", match.route.function, match.route.route_key)
            return error_response(500, "internal_error", "the function failed; see the wom run log")


# A credential in a query string (the advocate's status token) never reaches the log.
_QUERY_CREDENTIAL = re.compile(r"([?&]token=)[^&\s]*")


def loggable_request_line(requestline: str) -> str:
    return _QUERY_CREDENTIAL.sub(r"\1<redacted>", requestline)


class _AccessLog(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.info('%s "%s" %s %s', self.address_string(), loggable_request_line(self.requestline), code, size)

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        getattr(logger, type if type in ("info", "warning", "error") else "info")(message.rstrip(), *args)


def start_gateway(gateway: Gateway, port: int | None = None, host: str = HOST) -> BaseWSGIServer:
    """Serve the gateway from a background thread; `server.shutdown()` stops it."""
    port = local_settings().port if port is None else port
    server = make_server(host, port, gateway, threaded=True, request_handler=_AccessLog)
    threading.Thread(target=server.serve_forever, name="wom-gateway", daemon=True).start()
    return server
