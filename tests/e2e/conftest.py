"""One `wom run` subprocess for the whole e2e session, shared by every e2e test, and the fixtures around it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.cli import READY_LINE
from tests.e2e.support import (
    ADMIN_TOKEN,
    BROWSER_UA,
    DESTINATION,
    SIGNING_SECRET,
    STATUS_TOKEN_KEY,
    Advocate,
    Api,
    LocalMode,
    Storage,
    new_id,
)

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60
# Handler-side failures: an exception that escaped a handler (the gateway's log) or one a handler logged itself.
FAILURE_PATTERNS = (
    re.compile(r"unhandled exception in the \w+ function"),
    re.compile(r'"level":\s*"(ERROR|CRITICAL)"'),
    # The tracking function logs through the standard library (local mode's format: time, level, logger name).
    re.compile(r" (ERROR|CRITICAL) wom\."),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(local: LocalMode, start: int = 0) -> None:
    """Until the ready line appears in stdout after byte `start` (a restart appends to the same log)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if local.process.poll() is not None:
            raise RuntimeError(f"wom run exited with {local.process.returncode} before it was ready:\n{local.logs()}")
        if READY_LINE in local.stdout_path.read_bytes()[start:].decode(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"wom run not ready after {STARTUP_TIMEOUT_SECONDS} s:\n{local.logs()}")


def _stop(local: LocalMode) -> int | None:
    if local.process.poll() is None:
        local.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            local.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            local.process.kill()
            local.process.wait()
            return None
    return local.process.returncode


_running: LocalMode | None = None


def local_mode_environment(api_port: int, emulator_port: int, data_dir: Path) -> dict[str, str]:
    """The environment of a `wom run` for tests: its own ports, secrets and data folder, nothing of the caller's."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WOM_"))},
        "WOM_PORT": str(api_port),
        "WOM_EMULATOR_PORT": str(emulator_port),
        "WOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "WOM_SIGNING_SECRET": SIGNING_SECRET,
        "WOM_STATUS_TOKEN_KEY": STATUS_TOKEN_KEY,
        # Links name `localhost`, so the connection's address (127.0.0.1) has no business in any stored item.
        "WOM_PUBLIC_BASE_URL": f"http://localhost:{api_port}",
        # Never the developer's own .wom/data.
        "WOM_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        # Read the events stream into the archive every second, so a test sees its objects quickly.
        "WOM_ARCHIVE_INTERVAL": "1",
    }


def start_local_mode(env: dict[str, str], logs: Path, *arguments: str) -> LocalMode:
    """`wom run` as a subprocess, once it printed its ready line."""
    stdout_path, stderr_path = logs / "stdout.log", logs / "stderr.log"
    start = stdout_path.stat().st_size if stdout_path.exists() else 0
    with stdout_path.open("ab") as stdout, stderr_path.open("ab") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "local.cli", "run", *arguments], cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    local = LocalMode(
        process=process,
        base_url=f"http://127.0.0.1:{env['WOM_PORT']}",
        endpoint_url=f"http://127.0.0.1:{env['WOM_EMULATOR_PORT']}",
        stdout_path=stdout_path,
        stderr_path=stderr_path,
        sensitive={BROWSER_UA, "127.0.0.1", SIGNING_SECRET, STATUS_TOKEN_KEY},
    )
    try:
        _wait_until_ready(local, start)
    except Exception:
        stop_local_mode(local)
        raise
    return local


def stop_local_mode(local: LocalMode) -> int | None:
    """Ctrl-C, as a developer stops it; the exit code (None when it had to be killed)."""
    return _stop(local)


@pytest.fixture(scope="session")
def local_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMode]:
    global _running
    logs = tmp_path_factory.mktemp("wom-run")
    env = local_mode_environment(_free_port(), _free_port(), logs / "data")
    local = start_local_mode(env, logs)
    _running = local
    yield local
    _running = None
    returncode = _stop(local)
    if returncode != 0 or "wom stopped." not in local.stdout_path.read_text(errors="replace"):
        pytest.fail(f"wom run did not stop cleanly on SIGINT (exit {returncode}):\n{local.logs()[-5000:]}")


@pytest.fixture(autouse=True)
def no_handler_failures(request: pytest.FixtureRequest, local_mode: LocalMode) -> Iterator[None]:
    """A test fails when the server logged a handler failure while it ran: a 5xx or a swallowed exception."""
    sizes = local_mode.log_size()
    yield
    call = getattr(request.node, "call_report", None)
    if call is not None and call.failed:
        return  # already failed, with the server's log attached
    new = local_mode.logs_since(sizes)
    failures = [line for line in new.splitlines() if any(p.search(line) for p in FAILURE_PATTERNS)]
    if failures:
        pytest.fail("the server logged failures during this test:\n" + "\n".join(failures[:20]) + "\n\n" + new[-5000:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_report = report  # type: ignore[attr-defined]
    if report.failed and _running is not None:
        report.sections.append(("wom run stderr (tail)", _running.stderr_path.read_text(errors="replace")[-4000:]))
        report.sections.append(("wom run stdout (tail)", _running.stdout_path.read_text(errors="replace")[-4000:]))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's hook
    """The fuzzing run's tally (issue 11 asks for its request count and results)."""
    from tests.e2e.fuzzing import FUZZING_SESSION

    if sum(FUZZING_SESSION.statuses.values()):
        terminalreporter.write_sep("-", f"fuzzing local mode: {FUZZING_SESSION.report()}")
        for operation, count in sorted(FUZZING_SESSION.by_operation.items()):
            terminalreporter.write_line(f"  {count:6d}  {operation}")


# --- talking to the API -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def api(local_mode: LocalMode) -> Api:
    """Anonymous calls, as a browser makes them."""
    return Api(local_mode.base_url)


@pytest.fixture(scope="session")
def admin(local_mode: LocalMode) -> Api:
    return Api(local_mode.base_url, ADMIN_TOKEN)


@pytest.fixture(scope="session")
def campaign(admin: Api) -> dict:
    payload = {
        "campaign_id": new_id("e2e"),
        "name": "End-to-end campaign",
        "destination_url": DESTINATION,
        "rewards": {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}},
    }
    response = admin.post("/v1/campaigns", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def new_advocate(admin: Api, campaign: dict) -> Callable[..., Advocate]:
    def enrol(**extra: str) -> Advocate:
        customer_id = new_id("customer")
        response = admin.post(f"/v1/campaigns/{campaign['campaign_id']}/advocates", json={"customer_id": customer_id, **extra})
        assert response.status_code == 201, response.text
        body = response.json()
        return Advocate(body["advocate_id"], body["code"], body["link"], customer_id, campaign["campaign_id"])

    return enrol


@pytest.fixture
def advocate(new_advocate: Callable[..., Advocate]) -> Advocate:
    return new_advocate()


# --- reading back what was stored ---------------------------------------------------------------


@pytest.fixture(scope="session")
def storage(local_mode: LocalMode) -> Storage:
    return Storage(local_mode.endpoint_url)
