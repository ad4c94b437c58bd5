"""The storefront scripts wom serves (SPEC §3.5): GET /wom.js and GET /wom-advocate.js, the committed build in
shared/tracking/static/ (`make wom-js`).

API Gateway's HTTP API compresses nothing, so the function does: gzip when the browser's Accept-Encoding allows it,
the body base64-encoded as payload 2.0 binary answers are. Nothing is read at import (the tracking function's cold
start): a file is read, gzipped and hashed on its first request, then kept for the instance's life.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
# URL path -> built file. wom.js loads wom-advocate.js from beside itself (new URL("wom-advocate.js", script.src)).
SCRIPTS = {"/wom.js": "wom.min.js", "/wom-advocate.js": "wom-advocate.min.js"}
CONTENT_TYPE = "application/javascript; charset=utf-8"
# Stores paste the tag once and never touch it again: an hour in browsers and CDNs, then a cheap revalidation by ETag.
CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True)
class ServedScript:
    plain: bytes
    gzipped: bytes
    digest: str  # of the script's text: both encodings of one build share it

    def etag(self, gzipped: bool) -> str:
        # A strong validator names one representation: the gzipped bytes get their own.
        return f'"{self.digest}{"-gzip" if gzipped else ""}"'


@dataclass(frozen=True)
class ScriptAnswer:
    status: int
    headers: dict[str, str]
    body: bytes  # empty for a 304


@lru_cache(maxsize=len(SCRIPTS))
def served_script(path: str) -> ServedScript:
    import gzip
    import hashlib

    plain = (STATIC / SCRIPTS[path]).read_bytes()
    # mtime=0: the same file gives the same bytes on every instance, so a CDN's copies agree.
    return ServedScript(plain, gzip.compress(plain, compresslevel=9, mtime=0), hashlib.sha256(plain).hexdigest()[:32])


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 §12.5.3): named, or covered by `*`, with q > 0."""
    gzip_q: float | None = None
    any_q: float | None = None
    for part in (accept_encoding or "").split(","):
        coding, *parameters = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            gzip_q = q
        elif coding == "*":
            any_q = q
    chosen = gzip_q if gzip_q is not None else any_q
    return chosen is not None and chosen > 0


def _held(if_none_match: str | None, script: ServedScript) -> bool:
    """Whether the browser (or a CDN) already holds this build, in either encoding."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or bool(tags & {script.etag(False), script.etag(True)})


def script_answer(path: str, accept_encoding: str | None, if_none_match: str | None = None) -> ScriptAnswer:
    """The answer to GET `path` (one of SCRIPTS): 200 with the script, gzipped when allowed, or 304 for a copy the
    browser already holds."""
    script = served_script(path)
    gzipped = accepts_gzip(accept_encoding)
    headers = {"Content-Type": CONTENT_TYPE, "Cache-Control": CACHE_CONTROL, "ETag": script.etag(gzipped), "Vary": "Accept-Encoding"}
    if _held(if_none_match, script):
        return ScriptAnswer(304, headers, b"")
    if gzipped:
        return ScriptAnswer(200, {**headers, "Content-Encoding": "gzip"}, script.gzipped)
    return ScriptAnswer(200, headers, script.plain)
