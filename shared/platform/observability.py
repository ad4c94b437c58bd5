"""Loggers, created once. Request data is never logged whole: it carries IPs and user agents.

`logger` is Powertools' Logger (structured JSON, Lambda context), made on first use. The tracking function logs
through the standard library instead (`tracking_logger`): in Lambda, the functions' JSON log format makes those
lines JSON too (level, message, request id), and Powertools' Logger with what it imports would be about a
sixth of the tracking function's cold start and most of what it compiles (SPEC §8).
"""

from __future__ import annotations

import logging
from typing import Any

tracking_logger = logging.getLogger("wom.tracking")


def __getattr__(name: str) -> Any:
    if name == "logger":
        from aws_lambda_powertools import Logger

        globals()["logger"] = made = Logger(service="wom")
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
