"""Local stand-in for EventBridge Scheduler: runs the registered jobs every WOM_JOBS_INTERVAL seconds.

Jobs register by appending to `SCHEDULED_JOBS`; each receives the time it runs "as of".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared import wiring

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class ScheduledJob:
    name: str
    run: Callable[[datetime], object]


# The jobs local mode runs; later work appends to this list.
SCHEDULED_JOBS: list[ScheduledJob] = []


class JobScheduler:
    """Runs every job once per interval on a background thread; a failing job is logged, not fatal."""

    def __init__(
        self,
        interval_seconds: float,
        jobs: Sequence[ScheduledJob] = SCHEDULED_JOBS,
        clock: Callable[[], datetime] = wiring.now,
    ) -> None:
        self.interval_seconds = interval_seconds
        self.jobs = jobs
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="wom-scheduler", daemon=True)

    def run_once(self) -> None:
        for job in list(self.jobs):
            if self._stop.is_set():
                return
            now = self.clock()
            try:
                job.run(now)
                logger.info("job %s ran as of %s", job.name, now.isoformat())
            except Exception:
                logger.exception("job %s failed", job.name)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.run_once()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
