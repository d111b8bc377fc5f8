"""HTTP server of the emulator: Bot API, file downloads and the control API on loopback.

Routes:
  ``/bot<token>/<method>``       Bot API calls, GET or POST, returning Telegram JSON
  ``/file/bot<token>/<path>``    downloads of stored files
  ``/_emulator/<name>``          the control API (emulator.control)

The server is a ThreadingHTTPServer speaking HTTP/1.1 with keep-alive, one
daemon thread per connection. Every response carries Content-Length and
TCP_NODELAY is set, so a client can send many requests over one connection.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from emulator.control import CONTROL_PREFIX, ControlApi
from emulator.dispatch import BotApiDispatcher
from emulator.errors import ApiError
from emulator.params import decode_request_params
from emulator.responses import HttpResponse, json_response
from emulator.state import EmulatorState

__all__ = ["EmulatorHttpServer", "RequestRouter"]

logger = logging.getLogger(__name__)

# Largest request body accepted, in bytes: the Bot API's 50 MB upload limit plus
# room for the multipart framing.
MAX_BODY_BYTES = 52 * 1024 * 1024
# Seconds an idle keep-alive connection stays open.
IDLE_CONNECTION_TIMEOUT = 120


class RequestTooLarge(Exception):
    """A request body larger than MAX_BODY_BYTES."""


class RequestRouter:
    """Maps a request path to the Bot API, the file downloads or the control API."""

    def __init__(
        self,
        token: str,
        state: EmulatorState,
        dispatcher: BotApiDispatcher,
        control: ControlApi,
    ) -> None:
        self._token = token
        self._state = state
        self._dispatcher = dispatcher
        self._control = control

    def route(
        self,
        http_method: str,
        raw_path: str,
        content_type: str | None,
        body: bytes,
    ) -> HttpResponse:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)

        if path.startswith(CONTROL_PREFIX):
            return self._control.handle(http_method, path, parts.query, body)
        if path.startswith("/file/bot"):
            return self._download(http_method, path.removeprefix("/file/bot"))
        if path.startswith("/bot"):
            return self._bot_api(path.removeprefix("/bot"), parts.query, content_type, body)
        return json_response(404, ApiError(404, "Not Found").to_json())

    def _token_matches(self, token: str) -> bool:
        return secrets.compare_digest(token.encode(), self._token.encode())

    def _bot_api(
        self,
        rest: str,
        query: str,
        content_type: str | None,
        body: bytes,
    ) -> HttpResponse:
        token, _, method_name = rest.partition("/")
        if not self._token_matches(token):
            return json_response(401, ApiError(401, "Unauthorized").to_json())
        if not method_name or "/" in method_name:
            return json_response(404, ApiError(404, "Not Found").to_json())

        try:
            params = decode_request_params(query, content_type, body)
        except ApiError as error:
            return json_response(error.error_code, error.to_json())
        status, payload = self._dispatcher.handle(method_name, params)
        return json_response(status, payload)

    def _download(self, http_method: str, rest: str) -> HttpResponse:
        token, _, file_path = rest.partition("/")
        if not self._token_matches(token):
            return json_response(401, ApiError(401, "Unauthorized").to_json())
        if http_method != "GET":
            return json_response(405, ApiError(405, "Method Not Allowed").to_json())
        stored = self._state.find_file_by_path(file_path)
        if stored is None:
            return json_response(404, ApiError(404, "Not Found").to_json())
        return HttpResponse(200, stored.data, stored.mime_type or "application/octet-stream")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EmulatedBotApi/1.0"
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_TIMEOUT
    server: EmulatorHttpServer

    def setup(self) -> None:
        super().setup()
        self.server.track_connection(self.connection)

    def finish(self) -> None:
        self.server.untrack_connection(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except RequestTooLarge:
            self.close_connection = True
            self._write(json_response(413, ApiError(413, "Request Entity Too Large").to_json()))
            return
        except ValueError as error:
            self.close_connection = True
            self._write(json_response(400, ApiError(400, f"Bad Request: {error}").to_json()))
            return

        try:
            response = self.server.router.route(
                self.command, self.path, self.headers.get("Content-Type"), body
            )
        except Exception:
            # A bug in a handler must not kill the connection thread silently. The
            # path is not logged because it contains the bot token.
            logger.exception("Unhandled error while serving a %s request", self.command)
            response = json_response(500, ApiError(500, "Internal Server Error").to_json())
        self._write(response)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise ValueError(f"invalid Content-Length {length_header!r}") from None
        if length < 0:
            raise ValueError(f"invalid Content-Length {length_header!r}")
        if length > MAX_BODY_BYTES:
            raise RequestTooLarge()
        return self.rfile.read(length)

    def _read_chunked_body(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ValueError("invalid chunk size in chunked request body") from None
            if size == 0:
                # Skip optional trailer headers up to the empty line.
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise RequestTooLarge()
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)  # CRLF after the chunk data

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        try:
            self.end_headers()
            self.wfile.write(response.body)
        except ConnectionError as error:
            # The client gave up, e.g. a bot that stopped while its long poll was open.
            logger.debug("Client closed the connection before the response was sent: %s", error)
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The default access log line contains the request path, and with it the token.
        pass

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("HTTP server: " + format, *args)


class EmulatorHttpServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that can close its open keep-alive connections on shutdown."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, router: RequestRouter) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.router = router
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log an error that escaped a connection thread instead of printing it to stderr."""
        logger.exception("Error on the connection from %s", client_address)

    def track_connection(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack_connection(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_open_connections(self) -> None:
        """Shut down every client connection, so that no keep-alive thread serves on after stop."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client already closed it
