"""Domain errors and the one error shape every route answers with."""

from __future__ import annotations

import json


class WomError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidRequest(WomError):
    status = 400
    code = "invalid_request"


class Unauthorized(WomError):
    status = 401
    code = "unauthorized"


class NotFound(WomError):
    status = 404
    code = "not_found"


class Conflict(WomError):
    status = 409
    code = "conflict"


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_json(code: str, message: str) -> str:
    """The error shape as compact JSON, as every answer is written (Powertools' own serialiser is compact too)."""
    return json.dumps(error_body(code, message), separators=(",", ":"))


class ItemsSetAside(RuntimeError):
    """A job run finished the items it could process and set the others aside (SPEC §4). Raised after the run, so
    the run counts as failed where operators look (the function's Errors alarm, its dead-letter queue)."""

    def __init__(self, job: str, summary: dict) -> None:
        super().__init__(f"the {job} job set {summary['set_aside']} item(s) aside: {summary.get('set_aside_items')}")
        self.job = job
        self.summary = summary


class RewardEventsUnpublished(RuntimeError):
    """The bus refused some reward events: kept in the outbox for the next run, and this run counts as failed (a
    fulfilment outage must reach the job's Errors alarm, not only a warning)."""

    def __init__(self, summary: dict) -> None:
        super().__init__(f"{summary['publish_failures']} reward event(s) not published; kept for the next run")
        self.summary = summary
