"""BotApiEmulator: a local Telegram Bot API server for tests, demos and benchmarks.

A real python-telegram-bot Application talks to it over HTTP on loopback
(``base_url=emu.api_base_url``, ``base_file_url=emu.file_base_url``), while the
test plays the customer through this class and reads what the bot sent.

    with BotApiEmulator(token="123456:TEST-token") as emu:
        alice = emu.user(id=1001, first_name="Alice")
        emu.send_text(alice, "/start")
        reply = emu.wait_for_messages(alice.id, 1)[0]

All methods are thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from types import TracebackType
from typing import Any

from emulator.control import ControlApi
from emulator.customer import CustomerSimulator
from emulator.dispatch import BotApiDispatcher
from emulator.loopback import is_loopback_host
from emulator.records import (
    CallbackAnswer,
    ChatActionRecord,
    RecordedCall,
    SentMessage,
    SimulatedUser,
)
from emulator.server import EmulatorHttpServer, RequestRouter
from emulator.state import EmulatorState
from emulator.webhook import WebhookDeliverer

__all__ = ["BotApiEmulator", "DEFAULT_TOKEN"]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-token"
_TOKEN_PATTERN = re.compile(r"(\d+):[A-Za-z0-9_-]+")


class BotApiEmulator:
    """Emulated Telegram Bot API server with a simulated customer side."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_first_name: str = "Fashion Assistant (emulated)",
        bot_username: str = "fashion_assistant_test_bot",
        max_recorded_calls: int = 100_000,
        webhook_retry_delays: tuple[float, ...] = (0.1, 0.5, 1.0),
    ) -> None:
        """Prepare an emulator. Nothing listens until start().

        ``port=0`` picks a free ephemeral port. ``max_recorded_calls`` bounds the
        call log, which keeps only the newest calls beyond it. Raises ValueError
        for a token not shaped like ``<bot id>:<secret>`` or a non-loopback host.
        """
        token_match = _TOKEN_PATTERN.fullmatch(token)
        if token_match is None:
            raise ValueError("token must look like '<bot id>:<letters, digits, _ or ->'")
        if not is_loopback_host(host):
            raise ValueError(f"host {host!r} is not a loopback address; use 127.0.0.1, localhost or ::1")

        self.token = token
        self.host = host
        self._requested_port = port
        self._state = EmulatorState(
            bot_id=int(token_match.group(1)),
            bot_first_name=bot_first_name,
            bot_username=bot_username,
            max_recorded_calls=max_recorded_calls,
        )
        self._customer = CustomerSimulator(self._state)
        self._webhook = WebhookDeliverer(self._state, retry_delays=webhook_retry_delays)
        self._server: EmulatorHttpServer | None = None
        self._server_thread: threading.Thread | None = None
        self._stopped = False

    # Lifecycle

    def start(self) -> BotApiEmulator:
        """Bind the port and serve in a background thread. Returns self."""
        if self._server is not None or self._stopped:
            raise RuntimeError("an emulator can be started once; create a new BotApiEmulator")
        router = RequestRouter(
            self.token,
            self._state,
            BotApiDispatcher(self._state),
            ControlApi(self._state, self._customer),
        )
        self._server = EmulatorHttpServer(self.host, self._requested_port, router)
        # serve_forever checks for shutdown at this interval, so stop() takes at most 20 ms.
        self._server_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="emulator-http",
            daemon=True,
        )
        self._server_thread.start()
        self._webhook.start()
        logger.info("Bot API emulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, end long polls and webhook delivery, and close client connections."""
        if self._stopped:
            return
        self._stopped = True
        self._state.close()
        self._webhook.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_open_connections()
        if self._server_thread is not None:
            self._server_thread.join(timeout=5)
        logger.info("Bot API emulator stopped")

    def __enter__(self) -> BotApiEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Root URL of the server, such as ``http://127.0.0.1:8081``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Value for python-telegram-bot's ``base_url``. The token is appended by the client."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """Value for python-telegram-bot's ``base_file_url``."""
        return f"{self.base_url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The Telegram ``User`` object of the emulated bot."""
        return dict(self._state.bot_user)

    # Customer side

    def user(
        self,
        id: int,  # noqa: A002 - matches the Telegram field name
        first_name: str,
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> SimulatedUser:
        """Register a simulated user. The private chat with the bot has the same id."""
        simulated = SimulatedUser(
            id=id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._state.add_user(simulated)
        return simulated

    def send_text(self, user: SimulatedUser, text: str, reply_to_message_id: int | None = None) -> int:
        """Send a text message from the user. /commands get ``bot_command`` entities."""
        return self._customer.send_text(user, text, reply_to_message_id)

    def send_photo(
        self,
        user: SimulatedUser,
        image_bytes: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """Send a photo, stored as JPEG sizes with long sides 90, 320, 800 and 1280 at most.

        Raises ValueError when Pillow cannot decode ``image_bytes``.
        """
        return self._customer.send_photo(user, image_bytes, caption, media_group_id)

    def send_document(
        self,
        user: SimulatedUser,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        file_size: int | None = None,
    ) -> int:
        """Send a file. ``file_size`` overrides the reported size, e.g. to exceed 20 MB."""
        return self._customer.send_document(user, data, file_name, mime_type, caption, file_size)

    def send_sticker(self, user: SimulatedUser, emoji: str = "👍") -> int:
        return self._customer.send_sticker(user, emoji)

    def send_voice(self, user: SimulatedUser, duration: int = 2) -> int:
        return self._customer.send_voice(user, duration)

    def send_video(
        self,
        user: SimulatedUser,
        media_group_id: str | None = None,
        caption: str | None = None,
        duration: int = 3,
    ) -> int:
        return self._customer.send_video(user, media_group_id, caption, duration)

    def press_button(self, user: SimulatedUser, message: SentMessage | int, callback_data: str) -> int:
        """Press an inline button of a bot message. Raises ValueError if it has no such button."""
        return self._customer.press_button(user, message, callback_data)

    def edit_message(self, user: SimulatedUser, message_id: int, new_text: str) -> int:
        """Edit a text message the user sent, producing an ``edited_message`` update."""
        return self._customer.edit_message(user, message_id, new_text)

    def channel_post(
        self,
        channel_id: int,
        text: str,
        title: str = "Emulated channel",
        username: str | None = None,
    ) -> int:
        return self._customer.channel_post(channel_id, text, title, username)

    def group_message(
        self,
        user: SimulatedUser,
        group_chat_id: int,
        text: str | None = None,
        photo: bytes | None = None,
        caption: str | None = None,
        reply_to_bot_message_id: int | None = None,
        chat_type: str = "group",
        title: str = "Emulated group",
    ) -> int:
        """Send a text or photo message from the user in a group or supergroup."""
        return self._customer.group_message(
            user,
            group_chat_id,
            text=text,
            photo=photo,
            caption=caption,
            reply_to_bot_message_id=reply_to_bot_message_id,
            chat_type=chat_type,
            title=title,
        )

    def push_update(self, update_type: str, payload: dict[str, Any]) -> int:
        """Queue an update of any type with a payload the test built itself."""
        return self._state.add_update(update_type, payload)

    def get_update(self, update_id: int) -> dict[str, Any]:
        """Return the Update dict of an update_id returned by a builder."""
        return self._state.get_update(update_id)

    def message_id_of(self, update_id: int) -> int:
        """Return the message_id of the customer message carried by an update."""
        update = self.get_update(update_id)
        for key, payload in update.items():
            if key != "update_id" and isinstance(payload, dict) and "message_id" in payload:
                return int(payload["message_id"])
        raise KeyError(f"update {update_id} carries no message")

    def pending_update_count(self) -> int:
        """Return how many updates the bot has not confirmed or received by webhook yet."""
        with self._state.lock:
            return len(self._state.pending_updates)

    # Reading what the bot did

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Return the bot's messages, all chats or one, in send order, deleted ones included."""
        return self._state.sent_snapshots(chat_id)

    def sent_count(self) -> int:
        """Return how many messages the bot has sent to all chats together, without copying them."""
        return self._state.count_all_sent()

    def last_message(self, chat_id: int) -> SentMessage | None:
        """Return the newest message the bot sent to a chat, or None."""
        messages = self._state.sent_snapshots(chat_id)
        return messages[-1] if messages else None

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Block until the bot sent at least ``count`` messages to a chat, and return them all.

        Deleted messages count, because the bot did send them. Raises TimeoutError
        listing the messages that did arrive.
        """
        deadline = time.monotonic() + timeout
        with self._state.changed:
            while self._state.count_sent(chat_id) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._describe_shortfall(chat_id, count, timeout))
                self._state.changed.wait(remaining)
        return self._state.sent_snapshots(chat_id)

    async def wait_for_messages_async(
        self, chat_id: int, count: int, timeout: float = 10.0, poll_interval: float = 0.01
    ) -> list[SentMessage]:
        """Like wait_for_messages, but polls with asyncio.sleep so the event loop keeps running."""
        deadline = time.monotonic() + timeout
        while self._state.count_sent(chat_id) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(self._describe_shortfall(chat_id, count, timeout))
            await asyncio.sleep(poll_interval)
        return self._state.sent_snapshots(chat_id)

    def _describe_shortfall(self, chat_id: int, count: int, timeout: float) -> str:
        received = self._state.sent_snapshots(chat_id)
        lines = [
            f"timed out after {timeout} s waiting for {count} bot messages in chat {chat_id}; "
            f"received {len(received)}:"
        ]
        for message in received:
            content = message.current_text or f"<{message.method} without text>"
            lines.append(f"  #{message.message_id} {message.method}: {content[:120]!r}")
        return "\n".join(lines)

    def callback_answers(
        self, user_id: int | None = None, chat_id: int | None = None
    ) -> list[CallbackAnswer]:
        """Return the bot's answerCallbackQuery calls, optionally for one user or chat."""
        with self._state.lock:
            answers = list(self._state.callback_answers)
        return [
            answer
            for answer in answers
            if (user_id is None or answer.user_id == user_id)
            and (chat_id is None or answer.chat_id == chat_id)
        ]

    def chat_actions(self, chat_id: int | None = None) -> list[ChatActionRecord]:
        """Return the bot's sendChatAction calls, optionally for one chat."""
        with self._state.lock:
            actions = list(self._state.chat_actions)
        return [action for action in actions if chat_id is None or action.chat_id == chat_id]

    @property
    def calls(self) -> list[RecordedCall]:
        """Copy of the call log: every Bot API request received, oldest first."""
        with self._state.lock:
            return list(self._state.calls)

    def count_calls(self, method: str, chat_id: int | None = None) -> int:
        """Count received calls of a method (any case), optionally only those for one chat."""
        wanted = method.lower()
        count = 0
        for call in self.calls:
            if call.method.lower() != wanted:
                continue
            if chat_id is not None and str(call.params.get("chat_id")) != str(chat_id):
                continue
            count += 1
        return count

    def reset_sent(self) -> None:
        """Forget the bot's messages, the call log, answerCallbackQuery calls and chat actions."""
        self._state.clear_sent()

    # Fault injection

    def block_user(self, user_id: int) -> None:
        """Make every send to the user's private chat fail with 403 "bot was blocked by the user"."""
        with self._state.lock:
            self._state.blocked_user_ids.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        with self._state.lock:
            self._state.blocked_user_ids.discard(user_id)

    def fail_next(
        self,
        method: str,
        chat_id: int | None = None,
        error_code: int = 429,
        retry_after: int | None = 3,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (optionally to one chat) fail.

        A 429 error has the description "Too Many Requests: retry after N" and
        carries ``parameters.retry_after``. Other codes get Telegram's generic
        description unless ``description`` is given.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        self._state.add_fault(method, chat_id, error_code, retry_after, count, description)

    # Webhook inspection

    def webhook_url(self) -> str | None:
        """Return the URL set with setWebhook, or None."""
        with self._state.lock:
            return self._state.webhook.url if self._state.webhook else None
