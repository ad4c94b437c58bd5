"""Logger created once for every function. Request data is never logged whole: it carries IPs and user agents."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="wom")
