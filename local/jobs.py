"""The scheduled jobs on this machine: each invokes its function's handler with the event its EventBridge
Scheduler schedule sends in AWS, plus the time it runs "as of"."""

from __future__ import annotations

from datetime import date, datetime

from local.gateway import FunctionInvoker
from local.scheduler import SCHEDULED_JOBS, ScheduledJob
from shared.platform.deployment import SCHEDULES, ScheduleDefinition

_invoke = FunctionInvoker()


def invoke_function(function_name: str, event: dict) -> object:
    """Invoke a function's handler in this process, one request at a time, as the scheduler's jobs are."""
    return _invoke(function_name, event)


def run_job(schedule: ScheduleDefinition, now: datetime, day: date | None = None, **extra: bool) -> object:
    """With `day`, a job that works by day (metrics) recomputes that one day instead of its usual ones; `extra`
    adds the by-hand fields of the job's event (retry_set_aside, list_set_aside)."""
    event: dict[str, object] = {"job": schedule.name, "now": now.isoformat(), **extra}
    if day is not None:
        event["date"] = day.isoformat()
    return _invoke(schedule.function, event)


def run_rescore(now: datetime, since: date, apply: bool) -> object:
    """Fraud review again over past conversions: a by-hand event of the rewards function."""
    return _invoke("rewards", {"rescore": {"since": since.isoformat(), "apply": apply}, "now": now.isoformat()})


def job_named(name: str) -> ScheduleDefinition:
    for schedule in SCHEDULES:
        if schedule.name == name:
            return schedule
    raise KeyError(name)


def register_scheduled_jobs() -> None:
    for schedule in SCHEDULES:
        if not any(job.name == schedule.name for job in SCHEDULED_JOBS):
            SCHEDULED_JOBS.append(ScheduledJob(schedule.name, lambda now, schedule=schedule: run_job(schedule, now)))
