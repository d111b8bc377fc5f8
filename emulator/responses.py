"""HTTP responses produced by the routes and written by the request handler."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HttpResponse", "json_response"]


@dataclass(frozen=True)
class HttpResponse:
    """Status, body and headers of one HTTP response."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any) -> HttpResponse:
    """Encode a JSON payload compactly, keeping non-ASCII text as UTF-8."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpResponse(status=status, body=body)
