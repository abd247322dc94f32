"""API problems: an HTTP status, a stable code and a message naming the problem."""

from __future__ import annotations

from typing import Any

from app.core.errors import ApiError


class ApiProblem(ApiError):
    """A request cannot be served; becomes ``{"Error": {"Code", "Message"}}`` with ``status``.

    Parameters
    ----------
    status:
        HTTP status (4xx for the client's problems).
    code:
        Stable machine-readable code (``InvalidParameter``, ``SessionNotFound``...).
    message:
        What was expected, what was found, what to do.
    extra:
        More members of the response body (e.g. ``Status`` of an expired session).
    headers:
        Response headers (e.g. ``Allow`` of a 405).
    """

    def __init__(
        self, status: int, code: str, message: str, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"Error": {"Code": self.code, "Message": self.message}, **self.extra}


def bad_request(message: str, *, code: str = "InvalidParameter") -> ApiProblem:
    """A 400 problem."""
    return ApiProblem(400, code, message)
