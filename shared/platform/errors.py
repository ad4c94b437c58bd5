"""Domain errors and the one error shape every route answers with."""

from __future__ import annotations


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
