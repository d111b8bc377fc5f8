"""Messages the bot sends, in English and Italian, chosen from Telegram's `language_code`.

Every message key must have both languages; a test checks it. Messages use Telegram's HTML parse
mode, so any value that comes from a user is escaped by `translate` before it is inserted.
"""

from __future__ import annotations

import html

from classifier.labels import FASHION_MNIST_CLASSES, OTHER_GARMENT

__all__ = ["LANGUAGES", "MESSAGES", "class_label", "pick_language", "translate"]

LANGUAGES = ("en", "it")
DEFAULT_LANGUAGE = "en"

CLASS_LABELS: dict[str, dict[str, str]] = {
    "T-shirt/top": {"en": "T-shirt/top", "it": "T-shirt/top"},
    "Trouser": {"en": "Trousers", "it": "Pantaloni"},
    "Pullover": {"en": "Pullover", "it": "Maglione"},
    "Dress": {"en": "Dress", "it": "Vestito"},
    "Coat": {"en": "Coat", "it": "Cappotto"},
    "Sandal": {"en": "Sandal", "it": "Sandalo"},
    "Shirt": {"en": "Shirt", "it": "Camicia"},
    "Sneaker": {"en": "Sneaker", "it": "Sneaker"},
    "Bag": {"en": "Bag", "it": "Borsa"},
    "Ankle boot": {"en": "Ankle boot", "it": "Stivaletto"},
    OTHER_GARMENT: {"en": "Other garment", "it": "Altro capo"},
}
assert set(CLASS_LABELS) == {*FASHION_MNIST_CLASSES, OTHER_GARMENT}

MESSAGES: dict[str, dict[str, str]] = {
    "start": {
        "en": (
            "Hi {name}! I am the shop's fashion assistant.\n"
            "Send me a photo of a garment and I will tell you what it is: T-shirt, trousers, "
            "pullover, dress, coat, sandal, shirt, sneaker, bag or ankle boot.\n"
            "One garment per photo, on a plain background and in good light, works best.\n"
            "/help explains what I store."
        ),
        "it": (
            "Ciao {name}! Sono l'assistente di moda del negozio.\n"
            "Mandami la foto di un capo e ti dico che cos'è: t-shirt, pantaloni, maglione, "
            "vestito, cappotto, sandalo, camicia, sneaker, borsa o stivaletto.\n"
            "Funziona meglio con un solo capo per foto, su uno sfondo uniforme e con buona luce.\n"
            "/help spiega che cosa conservo."
        ),
    },
    "help": {
        "en": (
            "<b>How it works</b>\n"
            "Send a photo, or an image as a file (JPEG, PNG, WebP, HEIC). I reply with the "
            "garment category, how sure I am, and the runner-up categories.\n\n"
            "<b>What I store</b>\n"
            "For each photo: your Telegram user id, the chat and message ids, Telegram's file id, "
            "the category I answered with its confidence, the model version and the time. "
            "I also store your language and when you first and last wrote. "
            "The photo itself is never stored."
        ),
        "it": (
            "<b>Come funziona</b>\n"
            "Manda una foto, o un'immagine come file (JPEG, PNG, WebP, HEIC). Ti rispondo con la "
            "categoria del capo, quanto ne sono sicuro e le categorie più vicine.\n\n"
            "<b>Che cosa conservo</b>\n"
            "Per ogni foto: il tuo id utente Telegram, gli id della chat e del messaggio, l'id del "
            "file su Telegram, la categoria che ho risposto con la sua probabilità, la versione "
            "del modello e l'ora. Conservo anche la tua lingua e quando mi hai scritto la prima e "
            "l'ultima volta. La foto non viene mai conservata."
        ),
    },
    "result": {
        "en": "I see: <b>{label}</b> ({confidence} sure).\nAlso possible: {alternatives}.",
        "it": "Vedo: <b>{label}</b> (sicuro al {confidence}).\nAltre possibilità: {alternatives}.",
    },
    "result_unsure": {
        "en": (
            "I am not sure. It might be <b>{label}</b> ({confidence}), or {alternatives}.\n"
            "Tip: photograph one garment, laid flat or on a hanger, on a plain background "
            "in good light."
        ),
        "it": (
            "Non ne sono sicuro. Potrebbe essere <b>{label}</b> ({confidence}), oppure "
            "{alternatives}.\n"
            "Consiglio: fotografa un solo capo, steso o su una gruccia, su uno sfondo uniforme e "
            "con buona luce."
        ),
    },
    "result_unknown_garment": {
        "en": (
            "This looks like a garment I do not know yet. I can recognise T-shirts, trousers, "
            "pullovers, dresses, coats, sandals, shirts, sneakers, bags and ankle boots."
        ),
        "it": (
            "Sembra un capo che non conosco ancora. So riconoscere t-shirt, pantaloni, maglioni, "
            "vestiti, cappotti, sandali, camicie, sneaker, borse e stivaletti."
        ),
    },
    "not_an_image": {
        "en": "This file is not an image I can read. Please send a photo (JPEG, PNG, WebP or HEIC).",
        "it": "Questo file non è un'immagine che so leggere. Manda una foto (JPEG, PNG, WebP o HEIC).",
    },
    "corrupt_image": {
        "en": "This image seems damaged or incomplete, so I cannot read it. Please send it again.",
        "it": "Questa immagine sembra danneggiata o incompleta e non riesco a leggerla. Prova a rimandarla.",
    },
    "too_many_pixels": {
        "en": "This image is far too large ({detail}). Please send a normal photo.",
        "it": "Questa immagine è troppo grande ({detail}). Manda una foto normale.",
    },
    "too_small": {
        "en": "This image is too small to see a garment. Please send a larger photo.",
        "it": "Questa immagine è troppo piccola per riconoscere un capo. Manda una foto più grande.",
    },
    "file_too_big": {
        "en": "This file is over Telegram's 20 MB limit for bots. Please send it as a photo instead.",
        "it": "Questo file supera il limite di 20 MB che Telegram pone ai bot. Mandalo come foto.",
    },
    "text_hint": {
        "en": "Send me a photo of a garment and I will tell you what it is. /help explains more.",
        "it": "Mandami la foto di un capo e ti dico che cos'è. /help spiega di più.",
    },
    "unsupported_message": {
        "en": "I can only look at photos and images. Send me a photo of a garment.",
        "it": "So guardare solo foto e immagini. Mandami la foto di un capo.",
    },
    "internal_error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "it": "Scusa, qualcosa è andato storto da parte mia. Riprova tra un momento.",
    },
}


def pick_language(language_code: str | None) -> str:
    """Return "it" for Italian users, "en" for everyone else."""
    if language_code and language_code.lower().split("-")[0] == "it":
        return "it"
    return DEFAULT_LANGUAGE


def translate(key: str, language: str, **values: object) -> str:
    """Return message `key` in `language`, with `values` HTML-escaped and inserted."""
    text = MESSAGES[key].get(language) or MESSAGES[key][DEFAULT_LANGUAGE]
    escaped = {name: html.escape(str(value), quote=False) for name, value in values.items()}
    return text.format(**escaped)


def class_label(label: str, language: str) -> str:
    """Return a model class name in the user's language."""
    names = CLASS_LABELS.get(label)
    if names is None:
        return label
    return names.get(language) or names[DEFAULT_LANGUAGE]
