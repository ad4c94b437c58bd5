"""How wom serves wom.js and wom-advocate.js (SPEC §3.5): the committed build, gzipped when the browser allows it."""

from __future__ import annotations

import gzip

import pytest

from shared.tracking import scripts
from shared.tracking.scripts import SCRIPTS, STATIC, accepts_gzip, script_answer


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        (None, False),
        ("", False),
        ("identity", False),
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("gzip, deflate, br, zstd", True),  # what Chromium sends
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),  # named beats the wildcard
        ("gzip;q=0, *", False),
        ("deflate, br", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding(header, gzip_ok):
    assert accepts_gzip(header) is gzip_ok


@pytest.mark.parametrize("path", list(SCRIPTS))
def test_the_script_plain_and_gzipped(path):
    built = (STATIC / SCRIPTS[path]).read_bytes()
    plain = script_answer(path, None)
    assert (plain.status, plain.body) == (200, built)
    assert plain.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert plain.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in plain.headers
    cache = plain.headers["Cache-Control"].split(", ")
    assert "public" in cache and int(next(c for c in cache if c.startswith("max-age=")).split("=")[1]) >= 300

    zipped = script_answer(path, "gzip, deflate, br")
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == built
    assert len(zipped.body) < len(built)
    # Strong validators, one per representation; the same bytes on every instance (no time in the gzip header).
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert zipped.body == gzip.compress(built, compresslevel=9, mtime=0)


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_a_copy_the_browser_holds_is_a_304_either_way(encoding):
    held = script_answer("/wom.js", encoding).headers["ETag"]
    for sent in (held, f"W/{held}", f'"other", {held}', "*"):
        again = script_answer("/wom.js", "gzip", sent)
        assert (again.status, again.body) == (304, b""), sent
        assert again.headers["Cache-Control"] and again.headers["ETag"]
    assert script_answer("/wom.js", "gzip", '"stale"').status == 200


def test_nothing_is_read_until_the_first_request(monkeypatch, tmp_path):
    # The tracking function imports this module at its cold start: the file is read (once) only when asked for.
    scripts.served_script.cache_clear()
    reads: list[str] = []
    original = type(STATIC).read_bytes

    def counting(self):
        reads.append(self.name)
        return original(self)

    monkeypatch.setattr(type(STATIC), "read_bytes", counting)
    import importlib

    importlib.reload(scripts)
    assert reads == []
    scripts.script_answer("/wom.js", "gzip")
    scripts.script_answer("/wom.js", None)
    assert reads == ["wom.min.js"]


def test_the_tracking_functions_cold_start_does_not_load_the_script_server():
    import os
    import subprocess
    import sys

    code = "import sys, functions.tracking.handler; print('shared.tracking.scripts' in sys.modules)"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, cwd=STATIC.parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
