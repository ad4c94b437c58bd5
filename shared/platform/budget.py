"""Time limits from each function's own timeout (SPEC §7, §8): the AWS clients' connect and read timeouts and
retries, and a request's storage deadline, so a slow or hung table never turns an answer into a Lambda timeout.

A request function answers within ANSWER_SHARE of its timeout, however storage behaves: each storage call is
bounded (attempts × (connect + read) plus botocore's backoff between attempts), and no storage call starts after
the request's deadline (the answer's share less one storage call and, for the tracking function, one spill
call). The tracking function tries each call once: its retry is the spill queue (shared/tracking/spill.py).
Jobs have minutes, and retry with backoff; the replay retries little, its queue delivers a message again.

Plain data and arithmetic: the functions import this at their cold start.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError

from shared.platform.deployment import FUNCTIONS, ROUTES

# A request function answers within this share of its timeout (the rest is Lambda's own margin: cold start,
# serialising the answer). A browser waits on the tracking routes: theirs is the smaller share.
ANSWER_SHARE = 0.8
SPILLING_ANSWER_SHARE = 0.6
# Functions whose failed writes go to the spill queue instead of failing the caller.
SPILLING_FUNCTIONS = frozenset({"tracking"})


@dataclass(frozen=True)
class CallLimits:
    connect_timeout: float
    read_timeout: float
    max_attempts: int

    @property
    def worst_seconds(self) -> float:
        """The longest one call can take: every attempt timing out, and botocore's standard backoff between
        them (a random wait of up to 2^(n-1) seconds before the nth retry)."""
        backoff = sum(2 ** (retry - 1) for retry in range(1, self.max_attempts))
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + backoff

    def against_the_emulator(self) -> CallLimits:
        """The same attempts with the background calls' timeouts: local mode's emulator answers slower than
        DynamoDB, and a timed-out write there would only be replayed (a click's hit possibly twice)."""
        return CallLimits(
            max(self.connect_timeout, BACKGROUND_CALLS.connect_timeout), max(self.read_timeout, BACKGROUND_CALLS.read_timeout), self.max_attempts
        )

    def config(self, **extra: Any) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            **extra,
        )


@dataclass(frozen=True)
class FunctionBudget:
    timeout_seconds: float
    storage: CallLimits
    spill: CallLimits | None = None
    # Seconds after an invocation starts past which no storage call starts; None for jobs.
    storage_deadline_seconds: float | None = None

    @property
    def answer_within_seconds(self) -> float | None:
        """The longest a request can take, storage failing any way it can."""
        if self.storage_deadline_seconds is None:
            return None
        return self.storage_deadline_seconds + self.storage.worst_seconds + (self.spill.worst_seconds if self.spill else 0)


# Jobs: time enough for a slow call, retries for a throttled one (a job sets aside what still fails).
BACKGROUND_CALLS = CallLimits(connect_timeout=2, read_timeout=10, max_attempts=5)


# The replay: a message whose write still fails is delivered again by SQS (up to SPILL_MAX_RECEIVES times), so a
# call retries little and soon, and a batch of ten fits the function's timeout while the table throttles.
REPLAY_CALLS = CallLimits(connect_timeout=0.5, read_timeout=2, max_attempts=3)
QUEUE_CONSUMERS = frozenset({"replay"})


def function_budget(timeout_seconds: float, routed: bool, spills: bool, consumes_a_queue: bool = False) -> FunctionBudget:
    if consumes_a_queue:
        # No call starts once the rest of the batch could outlast the timeout: its messages are reported failed
        # and delivered again, instead of the whole batch timing out.
        return FunctionBudget(timeout_seconds, REPLAY_CALLS, storage_deadline_seconds=round(ANSWER_SHARE * timeout_seconds - REPLAY_CALLS.worst_seconds, 3))
    if not routed:
        return FunctionBudget(timeout_seconds, BACKGROUND_CALLS)
    answer_within = (SPILLING_ANSWER_SHARE if spills else ANSWER_SHARE) * timeout_seconds
    if spills:
        # One attempt each: a failed write is spilled at once (the replay retries it), a failed lookup falls back.
        storage = CallLimits(connect_timeout=0.05 * timeout_seconds, read_timeout=0.12 * timeout_seconds, max_attempts=1)
        spill: CallLimits | None = storage
    else:
        # One retry, for a throttled call; after that the caller gets 503 and retries (its post is idempotent).
        storage = CallLimits(connect_timeout=0.05 * timeout_seconds, read_timeout=0.15 * timeout_seconds, max_attempts=2)
        spill = None
    deadline = answer_within - storage.worst_seconds - (spill.worst_seconds if spill else 0)
    return FunctionBudget(timeout_seconds, storage, spill, round(deadline, 3))


_ROUTED = frozenset(route.function for route in ROUTES)
BUDGETS: dict[str, FunctionBudget] = {
    f.name: function_budget(f.timeout_seconds, f.name in _ROUTED, f.name in SPILLING_FUNCTIONS, f.name in QUEUE_CONSUMERS) for f in FUNCTIONS
}


def budget_for(function_name: str | None) -> FunctionBudget:
    """A function's budget; a process that is no one function (local mode, tests, the bench) gets the
    background limits and no deadline unless a handler sets one."""
    if function_name is None:
        return FunctionBudget(0, BACKGROUND_CALLS)
    return BUDGETS[function_name]


# --- which function runs -----------------------------------------------------------------------------

_running: ContextVar[str | None] = ContextVar("wom_running_function", default=None)


def running_function() -> str | None:
    """The function local mode is invoking just now (None in AWS, where the process is one function)."""
    return _running.get()


@contextmanager
def running(function_name: str) -> Iterator[None]:
    token = _running.set(function_name)
    try:
        yield
    finally:
        _running.reset(token)


def limits_here(limits: CallLimits) -> CallLimits:
    """`limits` as this process applies them: at the emulator's pace when local mode runs the function."""
    return limits.against_the_emulator() if running_function() is not None else limits


# --- the request's storage deadline ----------------------------------------------------------------

_deadline: ContextVar[float | None] = ContextVar("wom_storage_deadline", default=None)


class StorageDeadlineExceeded(BotoCoreError):
    """A storage call that would start after the request's deadline: not made (a transient error, like a timeout)."""

    fmt = "the request's storage deadline has passed"


@contextmanager
def storage_deadline(budget: FunctionBudget) -> Iterator[None]:
    """Within this block, no storage call starts after the budget's deadline (none without one)."""
    if budget.storage_deadline_seconds is None:
        yield
        return
    token = _deadline.set(time.monotonic() + budget.storage_deadline_seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def refuse_calls_past_the_deadline(**_: Any) -> None:
    """A botocore `before-call` hook of the storage client."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise StorageDeadlineExceeded()
