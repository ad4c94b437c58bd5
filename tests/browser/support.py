"""What the browser tests serve: a shop's pages and a stand-in for wom's origin, both recording what they receive."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "shared" / "tracking" / "static"
EXAMPLE_CSS = ROOT / "web" / "wom-example.css"
# How long a request the script should not have made is given to arrive before "none came" is believed.
SETTLE_SECONDS = 0.5


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Received], Answer]


class Site:
    """One origin on 127.0.0.1 (named `host` in its URLs): fixed answers by path, and a log of every request."""

    def __init__(self, host: str) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self._kept: dict[tuple[str, str], Route] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with site._lock:
                    site.received.append(request)
                route = site.routes.get((self.command, parts.path))
                answer = route(request) if route else Answer(404, b"not found", "text/plain")
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_OPTIONS = _answer

            def log_message(self, *args: object) -> None:  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(self, method: str, path: str, answer: Route) -> None:
        self.routes[(method, path)] = answer

    def page(self, path: str, body: str) -> str:
        html = f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{path}</title></head><body>{body}</body></html>'
        self.route("GET", path, lambda _request: Answer(200, html.encode(), "text/html; charset=utf-8"))
        return self.origin + path

    def requests(self, path: str | None = None, method: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if (path is None or r.path == path) and (method is None or r.method == method)]

    def keep_routes(self) -> None:
        """What `reset` goes back to: the routes every test has."""
        self._kept = dict(self.routes)

    def reset(self) -> None:
        """Forgets what it received and the routes a test added."""
        with self._lock:
            self.received.clear()
            self.routes = dict(self._kept)


def serve_file(path: Path, content_type: str) -> Route:
    return lambda _request: Answer(200, path.read_bytes(), content_type)


def beacons(site: Site) -> list[dict]:
    """The events the script posted to /v1/events, in order."""
    return [event for request in site.requests("/v1/events", "POST") for event in request.json()["events"]]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}; last value {value!r}")
        time.sleep(0.05)


def gateway_requests(local_mode: Any, sizes: tuple[int, int]) -> list[tuple[str, str]]:
    """The requests local mode's gateway served since `sizes` (`LocalMode.log_size()`, from its access log), as
    (method, path)."""
    return re.findall(r'"([A-Z]+) (\S+?)(?:\?\S*)? HTTP/1\.[01]"', local_mode.logs_since(sizes))
