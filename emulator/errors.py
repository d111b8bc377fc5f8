"""Errors that Bot API method handlers raise to produce a Telegram error response.

The HTTP layer turns an ApiError into the JSON body Telegram uses,
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``,
with the HTTP status set to the same code.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "bad_request",
    "default_description",
]

_DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def default_description(error_code: int) -> str:
    """Return the description prefix Telegram uses for an HTTP error code."""
    return _DEFAULT_DESCRIPTIONS.get(error_code, "Error")


class ApiError(Exception):
    """A failed Bot API call, sent to the client as a Telegram error response."""

    def __init__(
        self,
        error_code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """Build the response body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """Build a 400 error whose description is "Bad Request: <detail>"."""
    return ApiError(400, f"Bad Request: {detail}")
