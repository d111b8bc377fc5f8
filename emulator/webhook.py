"""Webhook delivery: POSTs each pending update to the URL set with setWebhook.

One background thread delivers updates in order over one keep-alive HTTP
connection and adds the ``X-Telegram-Bot-Api-Secret-Token`` header when a
secret was set. A failed delivery is retried a few times and then the update is
dropped, because the Bot API documentation of setWebhook says Telegram gives up
after a reasonable number of attempts. It connects only to loopback addresses
(see emulator.loopback).
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
from urllib.parse import urlsplit

from emulator.loopback import resolve_loopback_address
from emulator.state import EmulatorState, WebhookConfig

__all__ = ["WebhookDeliverer"]

logger = logging.getLogger(__name__)

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """Background thread that sends pending updates to the webhook."""

    def __init__(
        self,
        state: EmulatorState,
        retry_delays: tuple[float, ...] = (0.1, 0.5, 1.0),
        request_timeout: float = 10.0,
    ) -> None:
        self._state = state
        self._retry_delays = retry_delays
        self._request_timeout = request_timeout
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: http.client.HTTPConnection | None = None
        self._connection_target: tuple[str, str, int] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="emulator-webhook", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current attempt. The state must be closed too, to wake the thread."""
        self._stopping.set()
        self._state.close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close_connection()

    def _run(self) -> None:
        while not self._stopping.is_set():
            delivery = self._state.next_webhook_delivery()
            if delivery is None:
                return
            update, config = delivery
            self._deliver(update, config)

    def _deliver(self, update: dict, config: WebhookConfig) -> None:
        update_id = update["update_id"]
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        attempts = len(self._retry_delays) + 1

        for attempt in range(1, attempts + 1):
            if self._webhook_changed(config):
                return
            try:
                status = self._post(config, body)
            except (OSError, http.client.HTTPException, ValueError) as error:
                self._close_connection()
                message = f"Connection failed: {error}"
            else:
                if 200 <= status < 300:
                    self._state.finish_webhook_delivery(update_id, config.generation)
                    return
                message = f"Wrong response from the webhook: {status}"

            self._state.record_webhook_error(message)
            logger.warning(
                "Webhook delivery of update %d failed (attempt %d of %d): %s",
                update_id,
                attempt,
                attempts,
                message,
            )
            if attempt < attempts and self._stopping.wait(self._retry_delays[attempt - 1]):
                return

        logger.error("Dropped update %d after %d failed webhook deliveries", update_id, attempts)
        self._state.finish_webhook_delivery(update_id, config.generation)

    def _webhook_changed(self, config: WebhookConfig) -> bool:
        with self._state.lock:
            current = self._state.webhook
        return current is None or current.generation != config.generation

    def _post(self, config: WebhookConfig, body: bytes) -> int:
        parts = urlsplit(config.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve_loopback_address(parts.hostname or "", port)
        target = (parts.scheme, address, port)

        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        if config.secret_token:
            headers[SECRET_TOKEN_HEADER] = config.secret_token

        reused = self._connection is not None and self._connection_target == target
        try:
            return self._send(target, path, body, headers)
        except (OSError, http.client.HTTPException):
            if not reused:
                raise
        # The server may have closed the idle keep-alive connection. That is not a
        # failed delivery, so one more try on a new connection does not count.
        self._close_connection()
        return self._send(target, path, body, headers)

    def _send(
        self,
        target: tuple[str, str, int],
        path: str,
        body: bytes,
        headers: dict[str, str],
    ) -> int:
        connection = self._connection_for(target)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.will_close:
            self._close_connection()
        return response.status

    def _connection_for(self, target: tuple[str, str, int]) -> http.client.HTTPConnection:
        if self._connection is not None and self._connection_target == target:
            return self._connection
        self._close_connection()
        scheme, address, port = target
        if scheme == "https":
            # Loopback test servers use self-signed certificates, and traffic never
            # leaves the machine, so the certificate is not verified.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self._connection = http.client.HTTPSConnection(
                address, port, timeout=self._request_timeout, context=context
            )
        else:
            self._connection = http.client.HTTPConnection(address, port, timeout=self._request_timeout)
        self._connection_target = target
        return self._connection

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._connection_target = None
