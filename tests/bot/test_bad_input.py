"""End to end: every kind of bad input gets a clear reply in the user's language, never a crash."""

from __future__ import annotations

import asyncio
import io
import sqlite3

import numpy as np
import pytest
from PIL import Image
from pillow_heif import register_heif_opener

from tests.camera_files import camera_jpeg
from tests.conftest import DEMO_PHOTOS_DIR, encode, garment_photo

# The tests write HEIC files; the bot's worker registers the same opener to read them.
register_heif_opener()

DRESS = (DEMO_PHOTOS_DIR / "dress.jpg").read_bytes()


def _rows(database_path, user_id: int) -> list[tuple]:
    connection = sqlite3.connect(database_path)
    try:
        return connection.execute(
            "SELECT label, confidence FROM classifications WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
    finally:
        connection.close()


async def _send_and_wait(emulator, customer, send, timeout: float = 15.0):
    count = len(emulator.sent_messages(chat_id=customer.id)) + 1
    send()
    return (await emulator.wait_for_messages_async(customer.id, count, timeout=timeout))[-1]


def _dress_as(image_format: str, **options) -> bytes:
    return encode(Image.open(io.BytesIO(DRESS)).convert("RGB"), image_format, **options)


def _animated(image_format: str) -> bytes:
    first = Image.open(io.BytesIO(DRESS)).convert("RGB")
    second = Image.new("RGB", first.size, (0, 0, 0))
    buffer = io.BytesIO()
    first.save(buffer, image_format, save_all=True, append_images=[second], duration=100)
    return buffer.getvalue()


def _dress_camera_file(image_format: str) -> bytes:
    """Return the dress at 4.4 megapixels with a 160x160 EXIF preview, as a camera saves it."""
    dress = Image.open(io.BytesIO(DRESS)).convert("RGB").resize((2100, 2100))
    if image_format == "JPEG":
        return camera_jpeg(dress)
    # An MPO file: the same JPEG plus a second, smaller image listed in its MPF data.
    exif = Image.open(io.BytesIO(camera_jpeg(dress))).info["exif"]
    buffer = io.BytesIO()
    dress.save(buffer, "MPO", save_all=True, append_images=[dress.resize((640, 640))], exif=exif)
    return buffer.getvalue()


def _transparent_png(hidden: tuple[int, int, int]) -> bytes:
    pixels = np.asarray(garment_photo().convert("RGBA")).copy()
    background = (pixels[..., :3] == (235, 235, 230)).all(axis=2)
    pixels[background] = (*hidden, 0)
    return encode(Image.fromarray(pixels, "RGBA"))


@pytest.mark.parametrize(
    ("data", "file_name", "mime_type"),
    [
        (_dress_as("PNG"), "dress.png", "image/png"),
        (_dress_as("WEBP", quality=90), "dress.webp", "image/webp"),
        (_dress_as("HEIF"), "IMG_0001.HEIC", "image/heic"),
        (_dress_as("HEIF"), "IMG_0002.HEIC", "application/octet-stream"),
        (_dress_as("HEIF", thumbnails=[320]), "IMG_0003.HEIC", "image/heic"),
        (DRESS, "DRESS.JPG", "IMAGE/JPEG"),
        (_animated("GIF"), "dress.gif", "image/gif"),
        (_animated("WEBP"), "dress.webp", "image/webp"),
        (_dress_camera_file("JPEG"), "DSC_0001.JPG", "image/jpeg"),
        (_dress_camera_file("MPO"), "DSCF0001.MPO", "application/octet-stream"),
    ],
    ids=[
        "png",
        "webp",
        "heic",
        "heic-octet-stream",
        "heic-with-thumbnail",
        "upper-case-mime",
        "animated-gif",
        "animated-webp",
        "camera-jpeg-with-preview",
        "mpo-octet-stream",
    ],
)
async def test_image_files_are_classified(bot, emulator, settings, data, file_name, mime_type):
    alice = emulator.user(id=3001, first_name="Alice", language_code="en")
    reply = await _send_and_wait(
        emulator, alice, lambda: emulator.send_document(alice, data, file_name=file_name, mime_type=mime_type)
    )
    assert reply.text.startswith("I see: <b>Dress</b>")
    assert [label for label, _ in _rows(settings.database_path, alice.id)] == ["Dress"]


@pytest.mark.parametrize(
    ("data", "file_name", "mime_type", "expected_en", "expected_it"),
    [
        (b"%PDF-1.4", "cv.pdf", "application/pdf", "not an image I can read", "non è un'immagine"),
        (
            DRESS[: len(DRESS) // 3],
            "cut.jpg",
            "image/jpeg",
            "damaged or incomplete",
            "danneggiata o incompleta",
        ),
        (encode(Image.new("RGB", (10, 10), "white")), "tiny.png", "image/png", "too small", "troppo piccola"),
        (
            encode(Image.new("1", (20_000, 20_000), 0), optimize=True),
            "bomb.png",
            "image/png",
            "far too many pixels",
            "troppi pixel",
        ),
        (
            encode(Image.new("RGB", (640, 480), (90, 90, 90))),
            "wall.png",
            "image/png",
            "looks blank",
            "sembra vuota",
        ),
    ],
    ids=["pdf", "truncated-jpeg", "tiny", "decompression-bomb", "blank"],
)
@pytest.mark.parametrize("language", ["en", "it"])
async def test_unusable_files_get_a_clear_reply(
    bot, emulator, settings, data, file_name, mime_type, expected_en, expected_it, language
):
    bea = emulator.user(id=3002, first_name="Bea", language_code=language)
    reply = await _send_and_wait(
        emulator, bea, lambda: emulator.send_document(bea, data, file_name=file_name, mime_type=mime_type)
    )
    assert (expected_en if language == "en" else expected_it) in reply.text
    assert _rows(settings.database_path, bea.id) == []


async def test_file_over_limit_is_not_downloaded(bot, emulator, settings):
    carlo = emulator.user(id=3003, first_name="Carlo", language_code="it")
    reply = await _send_and_wait(
        emulator,
        carlo,
        lambda: emulator.send_document(
            carlo, b"\xff\xd8", file_name="raw.jpg", mime_type="image/jpeg", file_size=21 * 1024 * 1024
        ),
    )
    assert "20 MB" in reply.text
    assert emulator.count_calls("getFile") == 0


async def test_transparent_png_ignores_hidden_colour(bot, emulator, settings):
    dora = emulator.user(id=3004, first_name="Dora", language_code="en")
    replies = []
    for hidden in [(0, 0, 0), (255, 0, 0), (255, 255, 255)]:
        data = _transparent_png(hidden)
        replies.append(
            await _send_and_wait(
                emulator,
                dora,
                lambda d=data: emulator.send_document(dora, d, file_name="x.png", mime_type="image/png"),
            )
        )
    assert replies[0].text == replies[1].text
    assert replies[0].text == replies[2].text


async def test_rotated_phone_photo_matches_upright(bot, emulator, settings):
    elio = emulator.user(id=3005, first_name="Elio", language_code="en")
    upright = Image.open(io.BytesIO(DRESS)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 8  # EXIF orientation 8: viewers turn the stored pixels back upright
    rotated = encode(upright.transpose(Image.Transpose.ROTATE_270), "JPEG", quality=95, exif=exif)

    first = await _send_and_wait(
        emulator,
        elio,
        lambda: emulator.send_document(elio, rotated, file_name="r.jpg", mime_type="image/jpeg"),
    )
    second = await _send_and_wait(
        emulator,
        elio,
        lambda: emulator.send_document(
            elio, encode(upright, "JPEG", quality=95), file_name="u.jpg", mime_type="image/jpeg"
        ),
    )
    assert first.text.split("\n")[0] == second.text.split("\n")[0]


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (lambda emulator, user: emulator.send_sticker(user), "only look at photos"),
        (lambda emulator, user: emulator.send_voice(user), "only look at photos"),
        (lambda emulator, user: emulator.send_video(user), "only look at photos"),
        (lambda emulator, user: emulator.send_text(user, "what is this?"), "Send me a photo"),
    ],
    ids=["sticker", "voice", "video", "text"],
)
async def test_non_photos_get_a_hint(bot, emulator, settings, send, expected):
    fede = emulator.user(id=3006, first_name="Fede", language_code="en")
    reply = await _send_and_wait(emulator, fede, lambda: send(emulator, fede))
    assert expected in reply.text
    assert _rows(settings.database_path, fede.id) == []


async def test_mp4_animation_gets_a_hint(bot, emulator):
    gaia = emulator.user(id=3007, first_name="Gaia", language_code="it")
    await _send_and_wait(emulator, gaia, lambda: emulator.send_text(gaia, "/start"))
    animation = {
        "file_id": "anim-1",
        "file_unique_id": "anim-unique-1",
        "width": 320,
        "height": 240,
        "duration": 2,
        "mime_type": "video/mp4",
        "file_name": "funny.mp4",
    }
    payload = {
        "message_id": 900,
        "date": 1_796_000_000,
        "chat": {"id": gaia.id, "type": "private", "first_name": "Gaia"},
        "from": {"id": gaia.id, "is_bot": False, "first_name": "Gaia", "language_code": "it"},
        "animation": animation,
        "document": {key: animation[key] for key in ("file_id", "file_unique_id", "mime_type", "file_name")},
    }
    reply = await _send_and_wait(emulator, gaia, lambda: emulator.push_update("message", payload))
    assert "Non so guardare animazioni" in reply.text


async def test_edited_photo_and_channel_post_are_ignored(bot, emulator, settings):
    hana = emulator.user(id=3008, first_name="Hana", language_code="en")
    update_id = emulator.send_photo(hana, DRESS, caption="my dress")
    await emulator.wait_for_messages_async(hana.id, 1, timeout=15)
    edited = dict(emulator.get_update(update_id)["message"])
    edited["caption"] = "my favourite dress"
    edited["edit_date"] = edited["date"] + 5
    emulator.push_update("edited_message", edited)
    emulator.channel_post(-100123, "hello channel")
    await asyncio.sleep(1.0)

    reply = await _send_and_wait(emulator, hana, lambda: emulator.send_photo(hana, DRESS))
    assert reply.text.startswith("I see:")
    assert len(_rows(settings.database_path, hana.id)) == 2
    assert len(emulator.sent_messages(chat_id=hana.id)) == 2
    assert emulator.sent_messages(chat_id=-100123) == []


async def test_group_photo_needs_to_address_the_bot(bot, emulator, settings):
    ivo = emulator.user(id=3009, first_name="Ivo", language_code="en")
    group = -5001
    emulator.send_text(ivo, "/start")
    await emulator.wait_for_messages_async(ivo.id, 1, timeout=15)
    emulator.group_message(ivo, group, photo=DRESS, caption="look at my dress")
    await asyncio.sleep(1.0)
    assert emulator.sent_messages(chat_id=group) == []

    emulator.group_message(ivo, group, photo=DRESS, caption="@fashion_assistant_test_bot what is it?")
    replies = await emulator.wait_for_messages_async(group, 1, timeout=15)
    assert replies[0].text.startswith("I see: <b>Dress</b>")
    assert len(_rows(settings.database_path, ivo.id)) == 1


async def test_flood_is_limited_per_user(bot, emulator, settings):
    jonas = emulator.user(id=3010, first_name="Jonas", language_code="en")
    kim = emulator.user(id=3011, first_name="Kim", language_code="en")
    for _ in range(23):
        emulator.send_photo(jonas, DRESS)
    kim_reply = await _send_and_wait(emulator, kim, lambda: emulator.send_photo(kim, DRESS))
    replies = await emulator.wait_for_messages_async(jonas.id, 21, timeout=30)
    await asyncio.sleep(0.5)

    texts = [message.text for message in emulator.sent_messages(chat_id=jonas.id)]
    assert kim_reply.text.startswith("I see:")
    assert len(replies) >= 21
    assert sum(text.startswith("I see:") for text in texts) == 20
    assert sum("a lot of photos" in text for text in texts) == 1
    # The photos over the limit are dropped, so the warning must ask for them again.
    assert any("Please send them again" in text for text in texts)
    assert len(_rows(settings.database_path, jonas.id)) == 20


async def test_names_are_escaped(bot, emulator):
    mallory = emulator.user(id=3012, first_name="<b>Mal</b> & <i>lory", language_code="en")
    reply = await _send_and_wait(emulator, mallory, lambda: emulator.send_text(mallory, "/start"))
    assert "&lt;b&gt;Mal&lt;/b&gt; &amp; &lt;i&gt;lory" in reply.text
    assert reply.message_json["text"].startswith("Hi <b>Mal</b> & <i>lory!")


async def test_bot_survives_every_bad_input(bot, emulator, settings):
    """After all kinds of bad input from one customer, a normal photo still gets its answer."""
    zoe = emulator.user(id=3099, first_name="Zoe", language_code="it")
    senders = [
        lambda: emulator.send_document(zoe, b"%PDF-1.4", file_name="a.pdf", mime_type="application/pdf"),
        lambda: emulator.send_document(zoe, DRESS[:500], file_name="b.jpg", mime_type="image/jpeg"),
        lambda: emulator.send_document(
            zoe,
            encode(Image.new("1", (20_000, 20_000), 0), optimize=True),
            file_name="c.png",
            mime_type="image/png",
        ),
        lambda: emulator.send_document(
            zoe, b"x", file_name="d.jpg", mime_type="image/jpeg", file_size=30 * 2**20
        ),
        lambda: emulator.send_document(
            zoe, encode(Image.new("RGB", (4, 4))), file_name="e.png", mime_type="image/png"
        ),
        lambda: emulator.send_sticker(zoe),
        lambda: emulator.send_voice(zoe),
        lambda: emulator.send_video(zoe),
        lambda: emulator.send_text(zoe, "<script>alert(1)</script> & ciao"),
    ]
    for send in senders:
        await _send_and_wait(emulator, zoe, send)

    reply = await _send_and_wait(emulator, zoe, lambda: emulator.send_photo(zoe, DRESS))
    assert reply.text.startswith("Vedo: <b>Vestito</b>")
    assert [label for label, _ in _rows(settings.database_path, zoe.id)] == ["Dress"]
