"""Local mode's job scheduler: every registered job per tick, as of the clock, and a failure is not fatal."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from local.scheduler import JobScheduler, ScheduledJob
from local.settings import SettingsError, local_settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_each_job_runs_as_of_the_clock_and_a_failing_job_does_not_stop_the_others(caplog):
    ran: list[tuple[str, datetime]] = []

    def failing(now: datetime) -> None:
        raise RuntimeError("boom")

    jobs = [
        ScheduledJob("first", lambda now: ran.append(("first", now))),
        ScheduledJob("failing", failing),
        ScheduledJob("last", lambda now: ran.append(("last", now))),
    ]
    JobScheduler(60, jobs, clock=lambda: NOW).run_once()
    assert ran == [("first", NOW), ("last", NOW)]
    assert "job failing failed" in caplog.text


def test_with_no_jobs_a_tick_does_nothing():
    JobScheduler(60, [], clock=lambda: NOW).run_once()


def test_the_thread_ticks_every_interval_and_stops():
    ticked = threading.Event()
    scheduler = JobScheduler(0.01, [ScheduledJob("tick", lambda now: ticked.set())])
    scheduler.start()
    try:
        assert ticked.wait(5)
    finally:
        scheduler.stop(timeout=5)
    assert not scheduler._thread.is_alive()


@pytest.mark.parametrize(("value", "expected"), [(None, 60.0), ("", 60.0), ("5", 5.0), ("0.5", 0.5)])
def test_interval_comes_from_wom_jobs_interval(value, expected):
    environ = {} if value is None else {"WOM_JOBS_INTERVAL": value}
    assert local_settings(environ).jobs_interval == expected


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_useless_interval_is_refused_naming_the_variable(value):
    with pytest.raises(SettingsError, match="WOM_JOBS_INTERVAL"):
        local_settings({"WOM_JOBS_INTERVAL": value})


def test_local_settings_read_only_the_mapping_they_are_given(monkeypatch):
    monkeypatch.setenv("WOM_PORT", "9999")
    assert local_settings({}).port == 8000
    assert local_settings().port == 9999
    assert local_settings({"WOM_PORT": "8123"}).api_url == "http://127.0.0.1:8123"
