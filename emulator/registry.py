"""Registry of emulated Bot API methods, keyed by lower-case method name.

Handler modules register functions with ``@api_method("sendMessage")``. A handler
takes the shared state and the decoded parameters and returns the ``result``
value, or raises ApiError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.params import RequestParams
from emulator.state import EmulatorState

__all__ = [
    "ApiHandler",
    "ApiMethod",
    "DescribedResult",
    "METHODS",
    "api_method",
]

ApiHandler = Callable[[EmulatorState, RequestParams], Any]


@dataclass(frozen=True)
class DescribedResult:
    """A result that Telegram sends with a ``description``, as setWebhook does."""

    result: Any
    description: str


@dataclass(frozen=True)
class ApiMethod:
    """A Bot API method name in Telegram's spelling and its handler."""

    name: str
    handler: ApiHandler


METHODS: dict[str, ApiMethod] = {}


def api_method(name: str) -> Callable[[ApiHandler], ApiHandler]:
    """Register the decorated function as the handler of Bot API method ``name``."""

    def register(handler: ApiHandler) -> ApiHandler:
        METHODS[name.lower()] = ApiMethod(name=name, handler=handler)
        return handler

    return register
