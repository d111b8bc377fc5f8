"""End to end: the customer's assistant (/language, /mystyle, /trends, albums, feedback, privacy)."""

from __future__ import annotations

import asyncio
import io
import sqlite3

import numpy as np
from PIL import Image

from bot.cli import main
from tests.bot.bot_process import wait_until_async
from tests.conftest import DEMO_PHOTOS_DIR, encode, garment_photo


def _query(database_path, sql: str, parameters: tuple = ()) -> list[tuple]:
    connection = sqlite3.connect(database_path)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def _photo(name: str) -> bytes:
    return (DEMO_PHOTOS_DIR / f"{name}.jpg").read_bytes()


async def _next_reply(emulator, customer, timeout: float = 15.0):
    """Wait for one more message to `customer` than they had, and return it."""
    count = len(emulator.sent_messages(chat_id=customer.id)) + 1
    return (await emulator.wait_for_messages_async(customer.id, count, timeout=timeout))[-1]


async def _send_and_wait(emulator, customer, send, timeout: float = 15.0):
    count = len(emulator.sent_messages(chat_id=customer.id)) + 1
    send()
    return (await emulator.wait_for_messages_async(customer.id, count, timeout=timeout))[-1]


async def _wait_until(condition, timeout: float = 10.0):
    return await wait_until_async(condition, timeout, "what the test expected the bot to do")


async def _wait_for_edit(message_getter, timeout: float = 10.0):
    return await _wait_until(lambda: (message := message_getter()).edits and message, timeout)


async def test_language_command_overrides_telegram(bot, emulator):
    alice = emulator.user(id=2001, first_name="Alice", language_code="en")
    prompt = await _send_and_wait(emulator, alice, lambda: emulator.send_text(alice, "/language"))
    assert set(prompt.button_callback_data) == {"lang:en", "lang:it", "lang:auto"}

    emulator.press_button(alice, prompt, "lang:it")
    edited = await _wait_for_edit(lambda: emulator.last_message(alice.id))
    reply = await _send_and_wait(emulator, alice, lambda: emulator.send_photo(alice, _photo("dress")))

    assert "italiano" in edited.current_text
    assert reply.text.startswith("Vedo:")


async def test_mystyle_empty_state(bot, emulator):
    bruno = emulator.user(id=2002, first_name="Bruno", language_code="it")
    reply = await _send_and_wait(emulator, bruno, lambda: emulator.send_text(bruno, "/mystyle"))
    assert "Non mi hai ancora mandato nessun capo" in reply.text


def _grey_gradient_photo() -> bytes:
    # A left-to-right grey gradient shows no garment, so the model is sure of none. A plain grey
    # square would be rejected as blank before the model runs.
    ramp = np.tile(np.linspace(0, 255, 300), (300, 1)).astype(np.uint8)
    return encode(Image.fromarray(ramp).convert("RGB"))


async def test_mystyle_explains_photos_without_sure_answer(bot, emulator):
    gianni = emulator.user(id=2012, first_name="Gianni", language_code="it")
    first = await _send_and_wait(
        emulator, gianni, lambda: emulator.send_photo(gianni, _grey_gradient_photo())
    )
    only_unsure = await _send_and_wait(emulator, gianni, lambda: emulator.send_text(gianni, "/mystyle"))
    await _send_and_wait(emulator, gianni, lambda: emulator.send_photo(gianni, _photo("dress")))
    with_garment = await _send_and_wait(emulator, gianni, lambda: emulator.send_text(gianni, "/mystyle"))

    assert not first.text.startswith("Vedo:")
    assert "Le tue foto finora (1) non hanno avuto una risposta sicura" in only_unsure.text
    assert "Non mi hai ancora mandato nessun capo" not in only_unsure.text
    assert "Capi negli ultimi 30 giorni: 1" in with_garment.caption
    assert "Foto escluse dal conteggio perché incerte: 1" in with_garment.caption


async def test_mystyle_counts_categories_with_chart(bot, emulator):
    carla = emulator.user(id=2003, first_name="Carla", language_code="en")
    for name in ("dress", "dress", "sneaker"):
        await _send_and_wait(emulator, carla, lambda name=name: emulator.send_photo(carla, _photo(name)))

    reply = await _send_and_wait(emulator, carla, lambda: emulator.send_text(carla, "/mystyle"))

    assert reply.method == "sendPhoto"
    assert "Garments in the last 30 days: 3" in reply.caption
    assert "Dress 2" in reply.caption
    assert "Favourite: <b>Dress</b>" in reply.caption
    chart = Image.open(io.BytesIO(reply.photo_bytes))
    assert chart.format == "PNG"


async def test_trends_are_aggregates_only(bot, emulator):
    dario = emulator.user(id=2004, first_name="Dario", language_code="en")
    elena = emulator.user(id=2005, first_name="Elena", language_code="en")
    await _send_and_wait(emulator, dario, lambda: emulator.send_photo(dario, _photo("coat")))
    await _send_and_wait(emulator, elena, lambda: emulator.send_photo(elena, _photo("coat")))

    reply = await _send_and_wait(emulator, elena, lambda: emulator.send_text(elena, "/trends"))

    assert reply.method == "sendPhoto"
    assert "Coat: 2 (+2)" in reply.caption
    assert "Rising: <b>Coat</b>" in reply.caption
    assert "Dario" not in reply.caption
    assert str(dario.id) not in reply.caption


async def test_trends_empty_state(bot, emulator):
    fabio = emulator.user(id=2006, first_name="Fabio", language_code="en")
    reply = await _send_and_wait(emulator, fabio, lambda: emulator.send_text(fabio, "/trends"))
    assert "no trends yet" in reply.text


async def test_album_gets_one_combined_reply(bot, emulator, settings):
    gina = emulator.user(id=2007, first_name="Gina", language_code="en")
    emulator.send_photo(gina, _photo("dress"), media_group_id="album-1")
    emulator.send_photo(gina, _photo("sneaker"), media_group_id="album-1")
    emulator.send_video(gina, media_group_id="album-1")

    reply = await _next_reply(emulator, gina)

    assert reply.text.startswith("Your 3 photos:")
    assert "1. <b>Dress</b>" in reply.text
    assert "2. <b>Sneaker</b>" in reply.text
    assert "3. not a photo, skipped" in reply.text
    rows = _query(
        settings.database_path, "SELECT media_group_id FROM classifications WHERE user_id = ?", (gina.id,)
    )
    assert rows == [("album-1",), ("album-1",)]
    assert len(emulator.sent_messages(chat_id=gina.id)) == 1


async def test_feedback_confirm_is_stored(bot, emulator, settings):
    hugo = emulator.user(id=2008, first_name="Hugo", language_code="en")
    answer = await _send_and_wait(emulator, hugo, lambda: emulator.send_photo(hugo, _photo("bag")))
    confirm = next(data for data in answer.button_callback_data if data.startswith("fb:ok:"))

    emulator.press_button(hugo, answer, confirm)
    await _wait_until(lambda: emulator.callback_answers(user_id=hugo.id))
    await _wait_until(lambda: not emulator.sent_messages(chat_id=hugo.id)[0].button_callback_data)

    rows = _query(
        settings.database_path,
        "SELECT verdict, corrected_label_id FROM feedback WHERE user_id = ?",
        (hugo.id,),
    )
    assert rows == [("confirmed", None)]
    assert [answer.text for answer in emulator.callback_answers(user_id=hugo.id)] == [
        "Thanks for confirming!"
    ]


async def test_feedback_correction_keeps_model_input(bot, emulator, settings):
    irene = emulator.user(id=2009, first_name="Irene", language_code="en")
    answer = await _send_and_wait(emulator, irene, lambda: emulator.send_photo(irene, _photo("coat")))
    classification_id = next(d for d in answer.button_callback_data if d.startswith("fb:no:")).split(":")[2]

    emulator.press_button(irene, answer, f"fb:no:{classification_id}")
    with_categories = await _wait_until(
        lambda: (
            len((message := emulator.sent_messages(chat_id=irene.id)[0]).button_callback_data) == 11
            and message
        )
    )
    emulator.press_button(irene, with_categories, f"fb:set:{classification_id}:2")
    rows = await _wait_until(
        lambda: _query(
            settings.database_path,
            "SELECT verdict, corrected_label_id, length(model_input) FROM feedback WHERE user_id = ?",
            (irene.id,),
        )
    )

    assert len(with_categories.button_callback_data) == 11
    assert rows == [("corrected", 2, 784)]


async def test_feedback_from_someone_else_is_refused(bot, emulator, settings):
    jack = emulator.user(id=2010, first_name="Jack", language_code="en")
    kate = emulator.user(id=2011, first_name="Kate", language_code="en")
    answer = await _send_and_wait(emulator, jack, lambda: emulator.send_photo(jack, _photo("bag")))
    confirm = next(data for data in answer.button_callback_data if data.startswith("fb:ok:"))

    emulator.press_button(kate, answer, confirm)
    await _wait_until(lambda: emulator.callback_answers(user_id=kate.id))

    assert "Only the person who sent the photo" in emulator.callback_answers(user_id=kate.id)[0].text
    assert _query(settings.database_path, "SELECT COUNT(*) FROM feedback") == [(0,)]


async def test_export_feedback_writes_labelled_dataset(bot, emulator, settings, tmp_path, capsys):
    lena = emulator.user(id=2012, first_name="Lena", language_code="en")
    answer = await _send_and_wait(emulator, lena, lambda: emulator.send_photo(lena, _photo("coat")))
    classification_id = next(d for d in answer.button_callback_data if d.startswith("fb:no:")).split(":")[2]
    emulator.press_button(lena, answer, f"fb:no:{classification_id}")
    with_categories = await _wait_until(
        lambda: (
            len((message := emulator.sent_messages(chat_id=lena.id)[0]).button_callback_data) == 11
            and message
        )
    )
    emulator.press_button(lena, with_categories, f"fb:set:{classification_id}:4")
    await _wait_until(lambda: _query(settings.database_path, "SELECT COUNT(*) FROM feedback") == [(1,)])

    arguments = [
        "export-feedback",
        "--database",
        str(settings.database_path),
        "--output",
        str(tmp_path / "out"),
    ]
    status = await asyncio.to_thread(main, arguments)

    dataset = np.load(tmp_path / "out" / "feedback.npz")
    assert status == 0
    assert dataset["images"].shape == (1, 28, 28)
    assert dataset["labels"].tolist() == [4]
    assert "1 rated answers" in capsys.readouterr().out


async def test_subscribe_twice_changes_nothing(bot, emulator, settings):
    mara = emulator.user(id=2013, first_name="Mara", language_code="en")
    first = await _send_and_wait(emulator, mara, lambda: emulator.send_text(mara, "/subscribe"))
    second = await _send_and_wait(emulator, mara, lambda: emulator.send_text(mara, "/subscribe"))
    stored = _query(settings.database_path, "SELECT subscribed FROM users WHERE id = ?", (mara.id,))
    stop = await _send_and_wait(emulator, mara, lambda: emulator.send_text(mara, "/unsubscribe"))
    again = await _send_and_wait(emulator, mara, lambda: emulator.send_text(mara, "/unsubscribe"))

    assert first.text.startswith("Subscribed")
    assert "already subscribed" in second.text
    assert stored == [(1,)]
    assert stop.text.startswith("Unsubscribed")
    assert "not subscribed" in again.text
    assert _query(settings.database_path, "SELECT subscribed FROM users WHERE id = ?", (mara.id,)) == [(0,)]


async def test_privacy_states_retention(bot, emulator, settings):
    nina = emulator.user(id=2014, first_name="Nina", language_code="it")
    reply = await _send_and_wait(emulator, nina, lambda: emulator.send_text(nina, "/privacy"))
    assert f"dopo {settings.retention_days} giorni" in reply.text
    assert "La foto non viene mai conservata" in reply.text


async def test_forget_deletes_user_from_every_table(bot, emulator, settings):
    olga = emulator.user(id=2015, first_name="Olga", language_code="en")
    piero = emulator.user(id=2016, first_name="Piero", language_code="en")
    for customer in (olga, piero):
        answer = await _send_and_wait(
            emulator, customer, lambda c=customer: emulator.send_photo(c, _photo("dress"))
        )
        confirm = next(data for data in answer.button_callback_data if data.startswith("fb:ok:"))
        emulator.press_button(customer, answer, confirm)
        await _wait_until(lambda c=customer: emulator.callback_answers(user_id=c.id))
        await _send_and_wait(emulator, customer, lambda c=customer: emulator.send_text(c, "/subscribe"))
    await _send_and_wait(emulator, olga, lambda: emulator.send_text(olga, "/language"))
    emulator.press_button(olga, emulator.last_message(olga.id), "lang:it")
    await _wait_for_edit(lambda: emulator.last_message(olga.id))

    question = await _send_and_wait(emulator, olga, lambda: emulator.send_text(olga, "/forget"))
    emulator.press_button(olga, question, "forget:yes")
    done = await _wait_for_edit(lambda: emulator.last_message(olga.id))

    assert "deleted" in done.current_text or "cancellato" in done.current_text
    tables = [
        row[0] for row in _query(settings.database_path, "SELECT name FROM sqlite_master WHERE type='table'")
    ]
    for table in tables:
        if table.startswith("sqlite_"):
            continue
        columns = [row[1] for row in _query(settings.database_path, f'PRAGMA table_info("{table}")')]
        for column in columns:
            if column in {"id", "user_id", "chat_id"} and (table == "users" or column != "id"):
                left = _query(
                    settings.database_path, f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = ?', (olga.id,)
                )
                assert left == [(0,)], f"{table}.{column} still holds the forgotten user"
    assert _query(
        settings.database_path, "SELECT COUNT(*) FROM classifications WHERE user_id = ?", (piero.id,)
    ) == [(1,)]


async def test_forget_cancel_keeps_everything(bot, emulator, settings):
    quinn = emulator.user(id=2017, first_name="Quinn", language_code="en")
    await _send_and_wait(emulator, quinn, lambda: emulator.send_photo(quinn, _photo("dress")))
    question = await _send_and_wait(emulator, quinn, lambda: emulator.send_text(quinn, "/forget"))
    emulator.press_button(quinn, question, "forget:no")
    done = await _wait_for_edit(lambda: emulator.last_message(quinn.id))
    assert "nothing was deleted" in done.current_text
    assert _query(
        settings.database_path, "SELECT COUNT(*) FROM classifications WHERE user_id = ?", (quinn.id,)
    ) == [(1,)]


async def test_colours_come_from_the_photo(bot, emulator, settings):
    rita = emulator.user(id=2018, first_name="Rita", language_code="en")
    red_shirt = encode(garment_photo(garment=(200, 20, 30)), "JPEG", quality=92)
    await _send_and_wait(emulator, rita, lambda: emulator.send_photo(rita, red_shirt))
    colours = _query(
        settings.database_path, "SELECT colours FROM classifications WHERE user_id = ?", (rita.id,)
    )
    assert colours[0][0].startswith('["red"')
