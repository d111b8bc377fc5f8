"""Tests of the emulator's Bot API over real HTTP on 127.0.0.1, with plain httpx calls.

They cover request encodings, Telegram's validation errors, message edits,
files, updates and fault injection, as a bot would see them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from emulator import BotApiEmulator, SimulatedUser

INLINE_KEYBOARD = {"inline_keyboard": [[{"text": "Top", "callback_data": "category:top"}]]}


# Routing, authentication and request encodings


def test_get_me_returns_bot_user(api) -> None:
    me = api.result("getMe")

    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["first_name"] == "Fashion Assistant (emulated)"
    assert me["username"] == "fashion_assistant_test_bot"
    assert me["can_join_groups"] is True


def test_wrong_token_unauthorized(http_client: httpx.Client) -> None:
    response = http_client.post("/bot123456:WRONG/getMe")

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_unknown_method_not_found(api) -> None:
    body = api.error("sendTelepathy", chat_id=1)

    assert body["error_code"] == 404
    assert body["description"] == "Not Found"


def test_unknown_path_not_found(http_client: httpx.Client) -> None:
    response = http_client.get("/favicon.ico")

    assert response.status_code == 404
    assert response.json()["ok"] is False


def test_method_names_case_insensitive(api, emulator: BotApiEmulator) -> None:
    assert api.result("GETME")["is_bot"] is True
    assert api.result("getme")["is_bot"] is True

    assert emulator.count_calls("getMe") == 2
    assert {call.method for call in emulator.calls} == {"getMe"}


def test_get_request_with_query_string(api, alice: SimulatedUser) -> None:
    response = api.http.get("sendMessage", params={"chat_id": alice.id, "text": "via GET"})

    assert response.status_code == 200
    assert response.json()["result"]["text"] == "via GET"


def test_form_encoded_parameters(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    response = api.http.post(
        "sendMessage",
        data={
            "chat_id": str(alice.id),
            "text": "form",
            "reply_markup": json.dumps(INLINE_KEYBOARD),
            "disable_notification": "true",
        },
    )

    assert response.json()["result"]["reply_markup"] == INLINE_KEYBOARD
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.reply_markup == INLINE_KEYBOARD
    assert sent.disable_notification is True


def test_multipart_text_fields(api, alice: SimulatedUser) -> None:
    response = api.http.post(
        "sendMessage",
        data={"chat_id": str(alice.id), "text": "multipart ✓"},
        files={"unused": ("notes.txt", b"ignored", "text/plain")},
    )

    assert response.status_code == 200
    assert response.json()["result"]["text"] == "multipart ✓"


def test_chunked_request_body(api, alice: SimulatedUser) -> None:
    chunks = iter([b'{"chat_id": 1001,', b' "text": "sent in chunks"}'])

    response = api.http.post("sendMessage", content=chunks, headers={"Content-Type": "application/json"})

    assert response.status_code == 200
    assert response.json()["result"]["text"] == "sent in chunks"


def test_oversized_body_rejected(emulator: BotApiEmulator) -> None:
    request = (
        f"POST /bot{emulator.token}/sendDocument HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {60 * 1024 * 1024}\r\n\r\n"
    )

    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as connection:
        connection.sendall(request.encode())
        reply = connection.recv(4096).decode()

    assert reply.startswith("HTTP/1.1 413")
    assert "Request Entity Too Large" in reply


def test_invalid_json_body_rejected(api) -> None:
    response = api.http.post(
        "sendMessage", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert "can't parse JSON" in response.json()["description"]


def test_keep_alive_reuses_one_connection(api, emulator: BotApiEmulator) -> None:
    peers = set()
    for _ in range(20):
        response = api.http.post("getMe")
        stream = response.extensions["network_stream"]
        peers.add(stream.get_extra_info("client_addr"))

    assert len(peers) == 1
    assert emulator.count_calls("getMe") == 20


# sendMessage and its validation


def test_send_message_html_entities(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    result = api.result(
        "sendMessage",
        chat_id=alice.id,
        text="<b>Shirt</b> &amp; <i>trousers</i>",
        parse_mode="HTML",
    )

    assert result["text"] == "Shirt & trousers"
    assert result["entities"] == [
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "italic", "offset": 8, "length": 8},
    ]
    assert result["from"]["is_bot"] is True
    assert result["chat"] == {"id": 1001, "type": "private", "first_name": "Alice", "username": "alice"}
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.text == "<b>Shirt</b> &amp; <i>trousers</i>"
    assert sent.parse_mode == "HTML"
    assert sent.method == "sendMessage"


def test_send_message_ids_follow_customer_messages(
    api, alice: SimulatedUser, emulator: BotApiEmulator
) -> None:
    first = api.result("sendMessage", chat_id=alice.id, text="one")
    emulator.send_text(alice, "hello")
    second = api.result("sendMessage", chat_id=alice.id, text="two")

    # Message 1 is alice's /start, 3 is her "hello": ids are shared per chat.
    assert first["message_id"] == 2
    assert second["message_id"] == 4


@pytest.mark.parametrize(
    ("text", "parse_mode", "description"),
    [
        ("", None, "Bad Request: message text is empty"),
        ("   ", None, "Bad Request: message text is empty"),
        ("x" * 4097, None, "Bad Request: message is too long"),
        ("<b>unclosed", "HTML", "Bad Request: can't parse entities: "),
        ("<blink>x</blink>", "HTML", "Bad Request: can't parse entities: Unsupported start tag"),
        ("shirts & shoes", "HTML", "Bad Request: can't parse entities: Character '&'"),
        ("3 < 4", "HTML", "Bad Request: can't parse entities: Character '<'"),
        ("Done.", "MarkdownV2", "Bad Request: can't parse entities: Character '.' is reserved"),
    ],
)
def test_send_message_invalid_text(
    api, alice: SimulatedUser, text: str, parse_mode: str | None, description: str
) -> None:
    params = {"chat_id": alice.id, "text": text}
    if parse_mode:
        params["parse_mode"] = parse_mode

    body = api.error("sendMessage", **params)

    assert body["error_code"] == 400
    assert body["description"].startswith(description)


def test_send_message_4096_visible_characters_accepted(api, alice: SimulatedUser) -> None:
    text = "<b>" + "y" * 4096 + "</b>"

    result = api.result("sendMessage", chat_id=alice.id, text=text, parse_mode="HTML")

    assert len(result["text"]) == 4096


def test_send_message_unknown_chat(api, emulator: BotApiEmulator) -> None:
    emulator.user(id=2002, first_name="Bob")  # registered, but never wrote to the bot

    body = api.error("sendMessage", chat_id=2002, text="hi")

    assert body["description"] == "Bad Request: chat not found"


def test_send_message_reply_links_update(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    update_id = emulator.send_text(alice, "what is this?")
    customer_message_id = emulator.message_id_of(update_id)

    result = api.result(
        "sendMessage",
        chat_id=alice.id,
        text="A shirt.",
        reply_parameters={"message_id": customer_message_id},
    )

    assert result["reply_to_message"]["text"] == "what is this?"
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.reply_to_message_id == customer_message_id
    assert sent.reply_to_update_id == update_id


def test_send_message_legacy_reply_to_message_id(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    update_id = emulator.send_text(alice, "hi")

    api.result(
        "sendMessage", chat_id=alice.id, text="hello", reply_to_message_id=emulator.message_id_of(update_id)
    )

    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.reply_to_update_id == update_id


def test_send_message_reply_to_missing_message(api, alice: SimulatedUser) -> None:
    body = api.error("sendMessage", chat_id=alice.id, text="x", reply_parameters={"message_id": 999})
    allowed = api.result(
        "sendMessage",
        chat_id=alice.id,
        text="x",
        reply_parameters={"message_id": 999, "allow_sending_without_reply": True},
    )

    assert body["description"] == "Bad Request: message to be replied not found"
    assert "reply_to_message" not in allowed


@pytest.mark.parametrize(
    ("reply_markup", "description"),
    [
        (
            {"inline_keyboard": [[{"text": "no action"}]]},
            "Bad Request: text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        ({"inline_keyboard": {"text": "x"}}, 'Bad Request: field "inline_keyboard"'),
        ("[1, 2]", "Bad Request: can't parse reply keyboard markup JSON object"),
        ("{broken", "Bad Request: can't parse reply_markup JSON object"),
    ],
)
def test_send_message_invalid_reply_markup(
    api, alice: SimulatedUser, reply_markup: object, description: str
) -> None:
    body = api.error("sendMessage", chat_id=alice.id, text="pick", reply_markup=reply_markup)

    assert body["description"].startswith(description)


def test_reply_keyboard_recorded_not_echoed(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    keyboard = {"keyboard": [["Yes", {"text": "No"}]], "one_time_keyboard": True}

    result = api.result("sendMessage", chat_id=alice.id, text="ok?", reply_markup=keyboard)

    assert "reply_markup" not in result
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.reply_markup == keyboard


# Edits, deletions, callback query answers, chat actions


def test_edit_message_text_records_edit(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="Analysing…", reply_markup=INLINE_KEYBOARD)

    edited = api.result(
        "editMessageText",
        chat_id=alice.id,
        message_id=sent["message_id"],
        text="<b>Shirt</b> (92%)",
        parse_mode="HTML",
    )

    assert edited["text"] == "Shirt (92%)"
    assert "edit_date" in edited
    assert "reply_markup" not in edited  # an edit without reply_markup drops the keyboard
    record = emulator.last_message(alice.id)
    assert record is not None
    assert record.text == "Analysing…"
    assert record.edits == ["<b>Shirt</b> (92%)"]
    assert record.current_text == "<b>Shirt</b> (92%)"
    assert record.reply_markup is None


def test_edit_message_text_unchanged_rejected(api, alice: SimulatedUser) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="same")

    body = api.error("editMessageText", chat_id=alice.id, message_id=sent["message_id"], text="same")

    assert body["description"].startswith("Bad Request: message is not modified")


def test_edit_message_errors(api, alice: SimulatedUser, png_bytes: bytes, emulator: BotApiEmulator) -> None:
    missing = api.error("editMessageText", chat_id=alice.id, message_id=500, text="x")
    customer = api.error("editMessageText", chat_id=alice.id, message_id=1, text="x")
    photo = api.http.post(
        "sendPhoto", data={"chat_id": str(alice.id)}, files={"photo": ("a.png", png_bytes, "image/png")}
    ).json()["result"]
    no_text = api.error("editMessageText", chat_id=alice.id, message_id=photo["message_id"], text="x")

    assert missing["description"] == "Bad Request: message to edit not found"
    assert customer["description"] == "Bad Request: message can't be edited"
    assert no_text["description"] == "Bad Request: there is no text in the message to edit"


def test_edit_message_caption_and_markup(
    api, alice: SimulatedUser, png_bytes: bytes, emulator: BotApiEmulator
) -> None:
    photo = api.http.post(
        "sendPhoto",
        data={"chat_id": str(alice.id), "caption": "before"},
        files={"photo": ("a.png", png_bytes, "image/png")},
    ).json()["result"]
    message_id = photo["message_id"]

    caption = api.result("editMessageCaption", chat_id=alice.id, message_id=message_id, caption="after")
    unchanged = api.error("editMessageCaption", chat_id=alice.id, message_id=message_id, caption="after")
    markup = api.result(
        "editMessageReplyMarkup", chat_id=alice.id, message_id=message_id, reply_markup=INLINE_KEYBOARD
    )
    markup_unchanged = api.error(
        "editMessageReplyMarkup", chat_id=alice.id, message_id=message_id, reply_markup=INLINE_KEYBOARD
    )
    too_long = api.error("editMessageCaption", chat_id=alice.id, message_id=message_id, caption="z" * 1025)

    assert caption["caption"] == "after"
    assert markup["reply_markup"] == INLINE_KEYBOARD
    assert unchanged["description"].startswith("Bad Request: message is not modified")
    assert markup_unchanged["description"].startswith("Bad Request: message is not modified")
    assert too_long["description"] == "Bad Request: message caption is too long"
    record = emulator.last_message(alice.id)
    assert record is not None
    assert record.caption == "before"
    assert record.edits == ["after"]
    assert record.reply_markup == INLINE_KEYBOARD


def test_delete_message(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="temporary")

    assert api.result("deleteMessage", chat_id=alice.id, message_id=sent["message_id"]) is True
    again = api.error("deleteMessage", chat_id=alice.id, message_id=sent["message_id"])

    assert again["description"] == "Bad Request: message to delete not found"
    record = emulator.last_message(alice.id)
    assert record is not None
    assert record.deleted is True


def test_answer_callback_query_recorded(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    sent = api.result("sendMessage", chat_id=alice.id, text="pick", reply_markup=INLINE_KEYBOARD)
    update_id = emulator.press_button(alice, sent["message_id"], "category:top")
    query = emulator.get_update(update_id)["callback_query"]

    assert api.result("answerCallbackQuery", callback_query_id=query["id"], text="Saved") is True
    second = api.error("answerCallbackQuery", callback_query_id=query["id"])

    assert "query ID is invalid" in second["description"]
    answers = emulator.callback_answers(user_id=alice.id)
    assert len(answers) == 1
    assert answers[0].text == "Saved"
    assert answers[0].callback_data == "category:top"
    assert answers[0].message_id == sent["message_id"]


def test_send_chat_action(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    assert api.result("sendChatAction", chat_id=alice.id, action="upload_photo") is True
    body = api.error("sendChatAction", chat_id=alice.id, action="dancing")

    assert body["description"] == "Bad Request: wrong parameter action in request"
    assert [action.action for action in emulator.chat_actions(alice.id)] == ["upload_photo"]


# Photos, documents and files


def test_send_photo_upload_kept(
    api, alice: SimulatedUser, png_bytes: bytes, emulator: BotApiEmulator
) -> None:
    response = api.http.post(
        "sendPhoto",
        data={"chat_id": str(alice.id), "caption": "<i>Your week</i>", "parse_mode": "HTML"},
        files={"photo": ("chart.png", png_bytes, "image/png")},
    )

    result = response.json()["result"]
    assert result["caption"] == "Your week"
    assert result["caption_entities"] == [{"type": "italic", "offset": 0, "length": 9}]
    assert result["photo"][-1]["width"] == 1000
    assert result["photo"][-1]["height"] == 500
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.photo_bytes == png_bytes
    assert sent.method == "sendPhoto"


def test_send_photo_by_file_id_reuses_file(
    api, alice: SimulatedUser, png_bytes: bytes, emulator: BotApiEmulator
) -> None:
    first = api.http.post(
        "sendPhoto", data={"chat_id": str(alice.id)}, files={"photo": ("a.png", png_bytes, "image/png")}
    ).json()["result"]
    file_id = first["photo"][-1]["file_id"]

    second = api.result("sendPhoto", chat_id=alice.id, photo=file_id)

    assert second["photo"][-1]["file_id"] == file_id
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.photo_bytes == png_bytes


@pytest.mark.parametrize(
    ("photo", "description"),
    [
        ("https://example.org/chart.png", "Bad Request: failed to get HTTP URL content"),
        ("no-such-file-id", "Bad Request: wrong file identifier/HTTP URL specified"),
        (None, "Bad Request: there is no photo in the request"),
    ],
)
def test_send_photo_bad_reference(api, alice: SimulatedUser, photo: str | None, description: str) -> None:
    params = {"chat_id": alice.id}
    if photo is not None:
        params["photo"] = photo

    body = api.error("sendPhoto", **params)

    assert body["description"] == description


def test_send_photo_rejects_non_image_and_long_caption(api, alice: SimulatedUser, png_bytes: bytes) -> None:
    not_image = api.http.post(
        "sendPhoto", data={"chat_id": str(alice.id)}, files={"photo": ("a.png", b"not an image", "image/png")}
    )
    long_caption = api.http.post(
        "sendPhoto",
        data={"chat_id": str(alice.id), "caption": "c" * 1025},
        files={"photo": ("a.png", png_bytes, "image/png")},
    )

    assert not_image.status_code == 400
    assert not_image.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    assert long_caption.status_code == 400
    assert long_caption.json()["description"] == "Bad Request: message caption is too long"


def test_send_document_upload(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    data = b"label,count\nshirt,3\n"

    result = api.http.post(
        "sendDocument",
        data={"chat_id": str(alice.id), "caption": "export"},
        files={"document": ("history.csv", data, "text/csv")},
    ).json()["result"]

    assert result["document"]["file_name"] == "history.csv"
    assert result["document"]["mime_type"] == "text/csv"
    assert result["document"]["file_size"] == len(data)
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.document_bytes == data
    assert sent.file_name == "history.csv"


def test_send_media_group_with_attachments(
    api, alice: SimulatedUser, png_factory: Callable[..., bytes], emulator: BotApiEmulator
) -> None:
    media = [
        {"type": "photo", "media": "attach://first", "caption": "one"},
        {"type": "photo", "media": "attach://second"},
    ]

    response = api.http.post(
        "sendMediaGroup",
        data={"chat_id": str(alice.id), "media": json.dumps(media)},
        files={
            "first": ("1.png", png_factory(40, 30), "image/png"),
            "second": ("2.png", png_factory(50, 20), "image/png"),
        },
    )

    messages = response.json()["result"]
    assert len(messages) == 2
    assert messages[0]["media_group_id"] == messages[1]["media_group_id"]
    assert messages[0]["caption"] == "one"
    assert [m.method for m in emulator.sent_messages(alice.id)] == ["sendMediaGroup", "sendMediaGroup"]


def test_get_file_and_download(
    api, alice: SimulatedUser, png_bytes: bytes, emulator: BotApiEmulator, http_client: httpx.Client
) -> None:
    update_id = emulator.send_photo(alice, png_bytes)
    largest = emulator.get_update(update_id)["message"]["photo"][-1]

    file_info = api.result("getFile", file_id=largest["file_id"])
    download = http_client.get(f"/file/bot{emulator.token}/{file_info['file_path']}")

    assert file_info["file_size"] == largest["file_size"]
    assert file_info["file_unique_id"] == largest["file_unique_id"]
    assert download.status_code == 200
    assert download.content[:3] == b"\xff\xd8\xff"  # JPEG
    assert len(download.content) == largest["file_size"]


def test_get_file_errors(
    api, alice: SimulatedUser, emulator: BotApiEmulator, http_client: httpx.Client
) -> None:
    update_id = emulator.send_document(alice, b"tiny", file_name="huge.zip", file_size=20 * 1024 * 1024 + 1)
    document = emulator.get_update(update_id)["message"]["document"]

    too_big = api.error("getFile", file_id=document["file_id"])
    unknown = api.error("getFile", file_id="nope")
    missing_download = http_client.get(f"/file/bot{emulator.token}/documents/none.bin")
    wrong_token = http_client.get("/file/bot1:bad/documents/none.bin")

    assert document["file_size"] == 20 * 1024 * 1024 + 1
    assert too_big["description"] == "Bad Request: file is too big"
    assert unknown["description"] == "Bad Request: invalid file_id"
    assert missing_download.status_code == 404
    assert wrong_token.status_code == 401


def test_get_file_exactly_20_mb_allowed(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    update_id = emulator.send_document(alice, b"tiny", file_name="edge.bin", file_size=20 * 1024 * 1024)
    document = emulator.get_update(update_id)["message"]["document"]

    assert api.result("getFile", file_id=document["file_id"])["file_size"] == 20 * 1024 * 1024


# Updates


def test_get_updates_offset_confirms(api, emulator: BotApiEmulator) -> None:
    bob = emulator.user(id=3003, first_name="Bob")
    first = emulator.send_text(bob, "one")
    second = emulator.send_text(bob, "two")

    batch = api.result("getUpdates")
    after_confirm = api.result("getUpdates", offset=second)
    after_all = api.result("getUpdates", offset=second + 1)

    assert [u["update_id"] for u in batch] == [first, second]
    assert [u["update_id"] for u in after_confirm] == [second]
    assert after_all == []
    assert emulator.pending_update_count() == 0


def test_get_updates_limit_and_negative_offset(api, emulator: BotApiEmulator) -> None:
    bob = emulator.user(id=3003, first_name="Bob")
    ids = [emulator.send_text(bob, f"m{i}") for i in range(5)]

    limited = api.result("getUpdates", limit=2)
    last_two = api.result("getUpdates", offset=-2)

    assert [u["update_id"] for u in limited] == ids[:2]
    assert [u["update_id"] for u in last_two] == ids[3:]


def test_get_updates_allowed_updates_filter(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    api.result("getUpdates", offset=-1)  # confirm nothing yet, but sets no filter
    api.result("getUpdates", offset=emulator.send_text(alice, "skip") + 1)
    sent = api.result("sendMessage", chat_id=alice.id, text="pick", reply_markup=INLINE_KEYBOARD)
    emulator.send_text(alice, "text message")
    press = emulator.press_button(alice, sent["message_id"], "category:top")

    updates = api.result("getUpdates", allowed_updates=["callback_query"])

    assert [u["update_id"] for u in updates] == [press]


def test_get_updates_long_poll_woken(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    offset = api.result("getUpdates")[-1]["update_id"] + 1
    timer = threading.Timer(0.3, emulator.send_text, args=(alice, "wake up"))
    started = time.monotonic()
    timer.start()

    updates = api.result("getUpdates", offset=offset, timeout=5)

    elapsed = time.monotonic() - started
    timer.join()
    assert [u["message"]["text"] for u in updates] == ["wake up"]
    assert 0.2 < elapsed < 3.0


def test_get_updates_long_poll_times_out(api) -> None:
    started = time.monotonic()

    updates = api.result("getUpdates", timeout=1)

    assert updates == []
    assert 0.9 < time.monotonic() - started < 3.0


def test_second_poller_ends_first_with_conflict(emulator: BotApiEmulator) -> None:
    base_url = f"{emulator.api_base_url}{emulator.token}/"
    results: dict[str, httpx.Response] = {}

    def poll(name: str, timeout: int) -> None:
        with httpx.Client(base_url=base_url, timeout=10, trust_env=False) as client:
            results[name] = client.post("getUpdates", json={"timeout": timeout})

    first = threading.Thread(target=poll, args=("first", 5))
    first.start()
    time.sleep(0.3)
    poll("second", 0)
    first.join(timeout=5)

    assert results["first"].status_code == 409
    assert "terminated by other getUpdates request" in results["first"].json()["description"]
    assert results["second"].json() == {"ok": True, "result": []}


# Fault injection and the call log


def test_blocked_user_forbidden(
    api, alice: SimulatedUser, emulator: BotApiEmulator, png_bytes: bytes
) -> None:
    emulator.block_user(alice.id)

    text = api.error("sendMessage", chat_id=alice.id, text="hi")
    action = api.error("sendChatAction", chat_id=alice.id, action="typing")
    photo = api.http.post(
        "sendPhoto", data={"chat_id": str(alice.id)}, files={"photo": ("a.png", png_bytes, "image/png")}
    )
    emulator.unblock_user(alice.id)
    after_unblock = api.call("sendMessage", chat_id=alice.id, text="hi")

    assert text["error_code"] == 403
    assert text["description"] == "Forbidden: bot was blocked by the user"
    assert action["error_code"] == 403
    assert photo.status_code == 403
    assert after_unblock.status_code == 200


def test_fail_next_rate_limit(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    emulator.fail_next("sendMessage", chat_id=alice.id, retry_after=7, count=2)

    first = api.error("sendMessage", chat_id=alice.id, text="a")
    second = api.error("sendMessage", chat_id=alice.id, text="b")
    third = api.call("sendMessage", chat_id=alice.id, text="c")

    assert first["error_code"] == 429
    assert first["description"] == "Too Many Requests: retry after 7"
    assert first["parameters"] == {"retry_after": 7}
    assert second["error_code"] == 429
    assert third.status_code == 200
    assert len(emulator.sent_messages(alice.id)) == 1


def test_fail_next_other_chat_unaffected(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    emulator.fail_next("sendMessage", chat_id=999, error_code=500)

    response = api.call("sendMessage", chat_id=alice.id, text="fine")

    assert response.status_code == 200


def test_fail_next_custom_code(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    emulator.fail_next("SENDPHOTO", error_code=502)

    body = api.error("sendPhoto", chat_id=alice.id, photo="anything")

    assert body == {"ok": False, "error_code": 502, "description": "Bad Gateway"}


def test_calls_log_counts_per_chat(api, alice: SimulatedUser, emulator: BotApiEmulator) -> None:
    bob = emulator.user(id=3003, first_name="Bob")
    emulator.send_text(bob, "hi")
    started = time.monotonic()

    api.result("sendMessage", chat_id=alice.id, text="1")
    api.result("sendMessage", chat_id=alice.id, text="2")
    api.result("sendMessage", chat_id=bob.id, text="3")
    api.error("sendMessage", chat_id=alice.id, text="")

    assert emulator.count_calls("sendMessage") == 4
    assert emulator.count_calls("sendMessage", chat_id=alice.id) == 3
    failed = [call for call in emulator.calls if not call.ok]
    assert [call.error_code for call in failed] == [400]
    assert all(call.at >= started for call in emulator.calls)


def test_calls_log_omits_file_bytes(
    api, alice: SimulatedUser, png_bytes: bytes, emulator: BotApiEmulator
) -> None:
    api.http.post(
        "sendPhoto", data={"chat_id": str(alice.id)}, files={"photo": ("chart.png", png_bytes, "image/png")}
    )

    call = emulator.calls[-1]
    assert call.method == "sendPhoto"
    assert call.params["photo"] == f"<file chart.png, {len(png_bytes)} bytes>"


# Bot settings


def test_commands_roundtrip(api) -> None:
    commands = [
        {"command": "start", "description": "Start"},
        {"command": "history", "description": "Your history"},
    ]

    assert api.result("setMyCommands", commands=commands) is True
    stored = api.result("getMyCommands")
    other_language = api.result("getMyCommands", language_code="de")
    assert api.result("deleteMyCommands") is True
    after_delete = api.result("getMyCommands")

    assert stored == commands
    assert other_language == []
    assert after_delete == []


def test_chat_scope_commands_need_known_chat(api, emulator) -> None:
    carla = emulator.user(id=1003, first_name="Carla", language_code="it")
    commands = [{"command": "digest", "description": "Digest"}]
    scope = {"type": "chat", "chat_id": carla.id}

    before_carla_wrote = api.error("setMyCommands", commands=commands, scope=scope)
    emulator.send_text(carla, "hello")
    stored = api.result("setMyCommands", commands=commands, scope=scope)
    for_carla = api.result("getMyCommands", scope=scope)
    default = api.result("getMyCommands")

    assert before_carla_wrote["description"] == "Bad Request: chat not found"
    assert stored is True
    assert for_carla == commands
    assert default == []


def test_commands_invalid_name_rejected(api) -> None:
    body = api.error("setMyCommands", commands=[{"command": "Start!", "description": "x"}])

    assert "command 'Start!' is invalid" in body["description"]


def test_descriptions_and_menu_button(api, alice: SimulatedUser) -> None:
    assert api.result("setMyDescription", description="Classifies clothes") is True
    assert api.result("setMyShortDescription", short_description="Clothes classifier") is True
    assert api.result("setChatMenuButton", chat_id=alice.id, menu_button={"type": "commands"}) is True
    too_long = api.error("setMyShortDescription", short_description="s" * 121)

    assert api.result("getMyDescription") == {"description": "Classifies clothes"}
    assert api.result("getMyShortDescription") == {"short_description": "Clothes classifier"}
    assert api.result("getChatMenuButton", chat_id=alice.id) == {"type": "commands"}
    assert too_long["error_code"] == 400


def test_get_chat_private(api, alice: SimulatedUser) -> None:
    chat = api.result("getChat", chat_id=alice.id)

    assert chat["id"] == alice.id
    assert chat["type"] == "private"
    assert chat["first_name"] == "Alice"


def test_close_and_log_out(api) -> None:
    assert api.result("close") is True
    assert api.result("logOut") is True


# Lifecycle


def test_stop_closes_keep_alive_connections(emulator: BotApiEmulator) -> None:
    base_url = f"{emulator.api_base_url}{emulator.token}/"
    with httpx.Client(base_url=base_url, timeout=5, trust_env=False) as client:
        assert client.post("getMe").status_code == 200

        emulator.stop()

        with pytest.raises(httpx.TransportError):
            client.post("getMe")


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_loopback_host_names_served(host: str) -> None:
    if host == "::1" and not socket.has_ipv6:
        pytest.skip("this Python was built without IPv6 support")

    with BotApiEmulator(host=host) as emu:
        response = httpx.get(f"{emu.api_base_url}{emu.token}/getMe", trust_env=False, timeout=5)

    assert emu.api_base_url.startswith(f"http://{'[::1]' if host == '::1' else host}:")
    assert response.json()["ok"] is True


def test_non_loopback_host_rejected() -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        BotApiEmulator(host="0.0.0.0")


def test_malformed_token_rejected() -> None:
    with pytest.raises(ValueError, match="token must look like"):
        BotApiEmulator(token="no-colon")
