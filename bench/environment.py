"""The process environment the handlers run in during a bench: fake AWS, the stack's table names, its log level."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.emulator import FAKE_CREDENTIALS, REGION, create_resources
from shared.platform.resources import METRICS_BUCKET, REWARDS_BUS, TABLES

REPO_ROOT = Path(__file__).resolve().parent.parent
# Nothing listens here: a call that escapes the stubs fails at once instead of leaving the machine.
CLOSED_ENDPOINT = "http://127.0.0.1:9"


def handler_environment(log_level: str) -> dict[str, str]:
    environment = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **FAKE_CREDENTIALS,
        METRICS_BUCKET.env_var: METRICS_BUCKET.local_name,
        REWARDS_BUS.env_var: REWARDS_BUS.local_name,
        "POWERTOOLS_SERVICE_NAME": "wom",
        "POWERTOOLS_LOG_LEVEL": log_level,
        "LOG_LEVEL": log_level,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    environment.update({table.env_var: table.local_name for table in TABLES})
    return environment


@contextlib.contextmanager
def patched_environ(values: dict[str, str], drop: tuple[str, ...] = ("AWS_PROFILE", "AWS_ENDPOINT_URL")) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for name in drop:
            os.environ.pop(name, None)
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def create_stack_resources() -> Any:
    """Inside moto: the stack's tables, bucket and bus (from shared/platform/resources.py). Returns a DynamoDB client."""
    import boto3

    return create_resources(boto3.client)


class ByteCounter(io.TextIOBase):
    """A write-only stream that keeps only how many bytes went through it."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        self.lines += text.count("\n")
        return len(text)


@contextlib.contextmanager
def counted_logs(log_level: str = "INFO") -> Iterator[ByteCounter]:
    """Point the functions' loggers at a byte counter: what they would send to CloudWatch Logs. The Powertools
    logger writes its own JSON; the tracking function's standard-library logger is written as Lambda's JSON log
    format writes it."""
    import logging

    from shared.platform.observability import logger, tracking_logger

    handler = logger.registered_handler
    counter = ByteCounter()
    previous = handler.setStream(counter)  # type: ignore[attr-defined]
    plain = logging.StreamHandler(counter)
    plain.setFormatter(logging.Formatter(LAMBDA_JSON_LINE))
    tracking_logger.addHandler(plain)
    level, tracking_logger.level = tracking_logger.level, logging.getLevelName(log_level)
    try:
        yield counter
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
        tracking_logger.removeHandler(plain)
        tracking_logger.setLevel(level)


# A standard-library log record as Lambda's JSON log format writes it (the shape, for its size).
LAMBDA_JSON_LINE = (
    '{"timestamp":"%(asctime)s","level":"%(levelname)s","message":"%(message)s","logger":"%(name)s",'
    '"requestId":"8f5c2f4e-3b7a-4d0e-9a51-2c6f1e0b7d93"}'
)


@dataclass(frozen=True)
class Machine:
    python: str
    cpu: str
    cores: int
    system: str

    @classmethod
    def this(cls) -> Machine:
        cpu = platform.processor() or platform.machine()
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        return cls(python=sys.version.split()[0], cpu=cpu, cores=os.cpu_count() or 1, system=f"{platform.system()} {platform.release()}")
