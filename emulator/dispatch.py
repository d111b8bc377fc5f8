"""Dispatch of Bot API calls to their handlers, with fault injection and the call log.

The HTTP layer calls BotApiDispatcher.handle with the method name from the URL
and the decoded parameters, and gets back the HTTP status and JSON body.
"""

from __future__ import annotations

import logging
import time
from typing import Any

# The handler modules register their methods in METHODS when imported.
import emulator.methods_bot  # noqa: F401
import emulator.methods_messages  # noqa: F401
from emulator.errors import ApiError
from emulator.params import RequestParams
from emulator.records import RecordedCall
from emulator.registry import METHODS, DescribedResult
from emulator.state import EmulatorState

__all__ = ["BotApiDispatcher", "supported_methods"]

logger = logging.getLogger(__name__)


def supported_methods() -> list[str]:
    """Return the Bot API method names the emulator implements, in Telegram's spelling."""
    return sorted(method.name for method in METHODS.values())


class BotApiDispatcher:
    """Runs one Bot API call: injected faults first, then the handler, then the log entry."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def handle(self, method_name: str, params: RequestParams) -> tuple[int, dict[str, Any]]:
        received_at = time.monotonic()
        method = METHODS.get(method_name.lower())
        if method is None:
            logger.debug("Unknown Bot API method %r", method_name)
            error = ApiError(404, "Not Found")
            self._record(method_name, params, received_at, error.error_code)
            return error.error_code, error.to_json()

        try:
            injected = self._state.consume_fault(method.name, params.raw("chat_id"))
            if injected is not None:
                raise injected
            result = method.handler(self._state, params)
        except ApiError as error:
            logger.debug("%s failed with %d: %s", method.name, error.error_code, error.description)
            self._record(method.name, params, received_at, error.error_code)
            return error.error_code, error.to_json()

        self._record(method.name, params, received_at, None)
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, DescribedResult):
            body["result"] = result.result
            body["description"] = result.description
        else:
            body["result"] = result
        return 200, body

    def _record(
        self,
        method_name: str,
        params: RequestParams,
        received_at: float,
        error_code: int | None,
    ) -> None:
        call = RecordedCall(
            method=method_name,
            params=params.describe(),
            at=received_at,
            error_code=error_code,
        )
        self._state.record_call(call)
