"""Tests of the customer side of the emulator: the updates its builders create.

Each test creates updates through the Python API and reads them back through
getUpdates over HTTP on 127.0.0.1, as the bot would receive them.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from PIL import Image

from emulator import BotApiEmulator, SimulatedUser

INLINE_KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Right", "callback_data": "feedback:yes"}],
        [{"text": "Wrong", "callback_data": "feedback:no"}],
    ]
}


def _message_of(emulator: BotApiEmulator, update_id: int) -> dict:
    return emulator.get_update(update_id)["message"]


def test_send_text_builds_private_message(emulator: BotApiEmulator, api) -> None:
    alice = emulator.user(id=1001, first_name="Alice", language_code="it", username="alice")
    before = int(time.time())

    update_id = emulator.send_text(alice, "hello")

    updates = api.result("getUpdates")
    assert [u["update_id"] for u in updates] == [update_id]
    message = updates[0]["message"]
    assert message["message_id"] == 1
    assert message["text"] == "hello"
    assert message["from"] == {
        "id": 1001,
        "is_bot": False,
        "first_name": "Alice",
        "username": "alice",
        "language_code": "it",
    }
    assert message["chat"] == {"id": 1001, "type": "private", "first_name": "Alice", "username": "alice"}
    assert before <= message["date"] <= int(time.time())
    assert "entities" not in message


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("/start", [{"type": "bot_command", "offset": 0, "length": 6}]),
        ("/history@fashion_assistant_test_bot 5", [{"type": "bot_command", "offset": 0, "length": 35}]),
        ("😀 /help", [{"type": "bot_command", "offset": 3, "length": 5}]),
        ("see a/b", None),
    ],
)
def test_send_text_command_entities(emulator: BotApiEmulator, text: str, entities: list | None) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    message = _message_of(emulator, emulator.send_text(alice, text))

    assert message.get("entities") == entities


def test_update_and_message_ids_increase(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    bob = emulator.user(id=1002, first_name="Bob")

    a1 = emulator.send_text(alice, "a1")
    b1 = emulator.send_text(bob, "b1")
    a2 = emulator.send_text(alice, "a2")

    assert a1 < b1 < a2
    assert emulator.message_id_of(a1) == 1
    assert emulator.message_id_of(b1) == 1  # message ids count per chat
    assert emulator.message_id_of(a2) == 2


def test_send_text_empty_rejected(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    with pytest.raises(ValueError):
        emulator.send_text(alice, "")


def test_send_photo_builds_size_ladder(emulator: BotApiEmulator, png_factory: Callable[..., bytes]) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    message = _message_of(emulator, emulator.send_photo(alice, png_factory(2000, 1000), caption="new shirt"))

    photo = message["photo"]
    assert [(size["width"], size["height"]) for size in photo] == [
        (90, 45),
        (320, 160),
        (800, 400),
        (1280, 640),
    ]
    assert len({size["file_id"] for size in photo}) == 4
    assert len({size["file_unique_id"] for size in photo}) == 4
    assert [size["file_size"] for size in photo] == sorted(size["file_size"] for size in photo)
    assert message["caption"] == "new shirt"


def test_send_photo_never_upscales(emulator: BotApiEmulator, png_factory: Callable[..., bytes]) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    tiny = _message_of(emulator, emulator.send_photo(alice, png_factory(28, 28)))["photo"]
    medium = _message_of(emulator, emulator.send_photo(alice, png_factory(300, 600)))["photo"]

    assert [(s["width"], s["height"]) for s in tiny] == [(28, 28)]
    assert [(s["width"], s["height"]) for s in medium] == [(45, 90), (160, 320), (300, 600)]


def test_send_photo_applies_exif_orientation(emulator: BotApiEmulator) -> None:
    # A phone held upright stores a 1200x800 picture with EXIF orientation 6 (rotate 90 degrees
    # clockwise to view). Telegram delivers such a photo upright, 800 wide and 1200 high.
    alice = emulator.user(id=1001, first_name="Alice")
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 30, 30)).save(buffer, "JPEG", exif=exif)

    photo = _message_of(emulator, emulator.send_photo(alice, buffer.getvalue()))["photo"]

    assert (photo[-1]["width"], photo[-1]["height"]) == (800, 1200)


def test_send_photo_sizes_are_jpeg(emulator: BotApiEmulator, api, http_client, png_bytes: bytes) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    photo = _message_of(emulator, emulator.send_photo(alice, png_bytes))["photo"]

    file_path = api.result("getFile", file_id=photo[1]["file_id"])["file_path"]
    content = http_client.get(f"/file/bot{emulator.token}/{file_path}").content

    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG"
        assert image.size == (320, 160)
    assert len(content) == photo[1]["file_size"]


def test_send_photo_media_group(emulator: BotApiEmulator, png_bytes: bytes) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    first = _message_of(emulator, emulator.send_photo(alice, png_bytes, media_group_id="album-1"))
    second = _message_of(emulator, emulator.send_photo(alice, png_bytes, media_group_id="album-1"))

    assert first["media_group_id"] == second["media_group_id"] == "album-1"


def test_send_photo_undecodable_rejected(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    with pytest.raises(ValueError, match="not a decodable image"):
        emulator.send_photo(alice, b"definitely not an image")


def test_send_document_fields(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    message = _message_of(
        emulator,
        emulator.send_document(
            alice, b"\x89PNG...", file_name="look.png", mime_type="image/png", caption="/check"
        ),
    )

    document = message["document"]
    assert document["file_name"] == "look.png"
    assert document["mime_type"] == "image/png"
    assert document["file_size"] == 7
    assert message["caption"] == "/check"
    assert message["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


def test_sticker_voice_video_messages(emulator: BotApiEmulator, api, http_client) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    sticker = _message_of(emulator, emulator.send_sticker(alice))["sticker"]
    voice = _message_of(emulator, emulator.send_voice(alice, duration=4))["voice"]
    video_message = _message_of(emulator, emulator.send_video(alice, media_group_id="g"))

    assert (sticker["width"], sticker["height"], sticker["type"]) == (512, 512, "regular")
    sticker_path = api.result("getFile", file_id=sticker["file_id"])["file_path"]
    sticker_bytes = http_client.get(f"/file/bot{emulator.token}/{sticker_path}").content
    assert sticker_bytes[8:12] == b"WEBP"
    assert voice["duration"] == 4
    assert voice["mime_type"] == "audio/ogg"
    assert video_message["video"]["mime_type"] == "video/mp4"
    assert video_message["media_group_id"] == "g"


def test_press_button_builds_callback_query(emulator: BotApiEmulator, api, alice: SimulatedUser) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="Correct?", reply_markup=INLINE_KEYBOARD)
    message = emulator.last_message(alice.id)
    assert message is not None

    update_id = emulator.press_button(alice, message, "feedback:no")

    query = emulator.get_update(update_id)["callback_query"]
    assert query["data"] == "feedback:no"
    assert query["from"]["id"] == alice.id
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["message"]["reply_markup"] == INLINE_KEYBOARD
    assert query["id"]
    assert query["chat_instance"]


def test_press_button_unknown_data_rejected(emulator: BotApiEmulator, api, alice: SimulatedUser) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="Correct?", reply_markup=INLINE_KEYBOARD)

    with pytest.raises(ValueError, match="feedback:yes"):
        emulator.press_button(alice, sent["message_id"], "feedback:maybe")
    with pytest.raises(ValueError, match="no bot message"):
        emulator.press_button(alice, 1, "feedback:yes")  # message 1 is alice's /start


def test_edit_message_builds_edited_message(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    message_id = emulator.message_id_of(emulator.send_text(alice, "/histroy"))

    update = emulator.get_update(emulator.edit_message(alice, message_id, "/history"))

    edited = update["edited_message"]
    assert edited["message_id"] == message_id
    assert edited["text"] == "/history"
    assert edited["entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]
    assert edited["edit_date"] >= edited["date"]


def test_edit_message_of_other_user_rejected(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    bob = emulator.user(id=1002, first_name="Bob")
    message_id = emulator.message_id_of(emulator.send_text(alice, "mine"))

    with pytest.raises(ValueError):
        emulator.edit_message(bob, message_id, "yours")


def test_channel_post_update(emulator: BotApiEmulator) -> None:
    update = emulator.get_update(emulator.channel_post(-1001234, "new collection"))

    post = update["channel_post"]
    assert post["chat"]["type"] == "channel"
    assert post["chat"]["id"] == -1001234
    assert post["sender_chat"]["id"] == -1001234
    assert "from" not in post


def test_group_message_and_reply_to_bot(emulator: BotApiEmulator, api, png_bytes: bytes) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    emulator.group_message(alice, -500, text="/start@fashion_assistant_test_bot")
    bot_message = api.result("sendMessage", chat_id=-500, text="Send me a photo")

    update = emulator.get_update(
        emulator.group_message(
            alice, -500, photo=png_bytes, caption="this", reply_to_bot_message_id=bot_message["message_id"]
        )
    )

    message = update["message"]
    assert message["chat"] == {"id": -500, "type": "group", "title": "Emulated group"}
    assert message["from"]["id"] == alice.id
    assert message["photo"][-1]["width"] == 1000
    assert message["reply_to_message"]["text"] == "Send me a photo"
    assert message["reply_to_message"]["from"]["is_bot"] is True


def test_supergroup_message(emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")

    message = _message_of(emulator, emulator.group_message(alice, -100777, text="hi", chat_type="supergroup"))

    assert message["chat"]["type"] == "supergroup"


def test_wait_for_messages_timeout_lists_arrivals(
    emulator: BotApiEmulator, api, alice: SimulatedUser
) -> None:
    api.result("sendMessage", chat_id=alice.id, text="only one")

    with pytest.raises(TimeoutError) as raised:
        emulator.wait_for_messages(alice.id, 2, timeout=0.2)

    assert "received 1" in str(raised.value)
    assert "only one" in str(raised.value)


def test_wait_for_messages_returns_when_count_reached(
    emulator: BotApiEmulator, api, alice: SimulatedUser
) -> None:
    api.result("sendMessage", chat_id=alice.id, text="first")
    api.result("sendMessage", chat_id=alice.id, text="second")

    messages = emulator.wait_for_messages(alice.id, 2, timeout=1)

    assert [m.text for m in messages] == ["first", "second"]


def test_sent_messages_filter_and_reset(emulator: BotApiEmulator, api, alice: SimulatedUser) -> None:
    bob = emulator.user(id=1002, first_name="Bob")
    emulator.send_text(bob, "hi")
    api.result("sendMessage", chat_id=alice.id, text="to alice")
    api.result("sendMessage", chat_id=bob.id, text="to bob")

    all_texts = [m.text for m in emulator.sent_messages()]
    bob_texts = [m.text for m in emulator.sent_messages(bob.id)]
    emulator.reset_sent()

    assert all_texts == ["to alice", "to bob"]
    assert bob_texts == ["to bob"]
    assert emulator.sent_messages() == []
    assert emulator.calls == []
    assert emulator.last_message(alice.id) is None


def test_sent_message_snapshot_not_changed_by_edit(
    emulator: BotApiEmulator, api, alice: SimulatedUser
) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="v1")
    snapshot = emulator.last_message(alice.id)

    api.result("editMessageText", chat_id=alice.id, message_id=sent["message_id"], text="v2")

    assert snapshot is not None
    assert snapshot.edits == []
    assert snapshot.message_json["text"] == "v1"
    latest = emulator.last_message(alice.id)
    assert latest is not None
    assert latest.current_text == "v2"
