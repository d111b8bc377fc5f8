"""Messages the bot sends, in English and Italian, chosen from Telegram's `language_code`.

Every message key must have both languages; a test checks it. Messages use Telegram's HTML parse
mode, so any value that comes from a user is escaped by `translate` before it is inserted.
"""

from __future__ import annotations

import html
from datetime import date

from classifier.labels import FASHION_MNIST_CLASSES, OTHER_GARMENT

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "MESSAGES",
    "Html",
    "class_label",
    "colour_name",
    "command_menu",
    "date_range",
    "pick_language",
    "translate",
]

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

COLOUR_NAMES: dict[str, dict[str, str]] = {
    "black": {"en": "black", "it": "nero"},
    "white": {"en": "white", "it": "bianco"},
    "grey": {"en": "grey", "it": "grigio"},
    "beige": {"en": "beige", "it": "beige"},
    "brown": {"en": "brown", "it": "marrone"},
    "red": {"en": "red", "it": "rosso"},
    "orange": {"en": "orange", "it": "arancione"},
    "yellow": {"en": "yellow", "it": "giallo"},
    "green": {"en": "green", "it": "verde"},
    "blue": {"en": "blue", "it": "blu"},
    "light blue": {"en": "light blue", "it": "azzurro"},
    "navy": {"en": "navy", "it": "blu navy"},
    "purple": {"en": "purple", "it": "viola"},
    "pink": {"en": "pink", "it": "rosa"},
}

# The command menu that Telegram shows beside the message field, with each command's description.
CUSTOMER_COMMANDS: dict[str, dict[str, str]] = {
    "start": {"en": "What this bot does", "it": "Che cosa fa questo bot"},
    "help": {"en": "How it works and what it stores", "it": "Come funziona e che cosa conserva"},
    "mystyle": {"en": "Your style", "it": "Il tuo stile"},
    "trends": {
        "en": "What customers sent in the last 7 days",
        "it": "Che cosa hanno mandato i clienti negli ultimi 7 giorni",
    },
    "subscribe": {"en": "Weekly summary of your style", "it": "Riepilogo settimanale del tuo stile"},
    "unsubscribe": {"en": "Stop the weekly summary", "it": "Ferma il riepilogo settimanale"},
    "language": {"en": "English or Italian", "it": "Italiano o inglese"},
    "privacy": {"en": "What is stored and for how long", "it": "Che cosa viene conservato e per quanto"},
    "forget": {"en": "Delete everything about you", "it": "Cancella tutto ciò che riguarda te"},
}
# Added to the menu of staff chats only.
STAFF_COMMANDS: dict[str, dict[str, str]] = {
    "digest": {
        "en": "This week's digest so far, or a past week's",
        "it": "Riepilogo di questa settimana o di una passata",
    },
    "stats": {
        "en": "Stored answers, users, model and uptime",
        "it": "Risposte conservate, utenti, modello e attività",
    },
}

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
            "For each photo: your ids, the category I answered and its details, the garment's "
            "colours and the time; also your language and settings. The photo itself is never "
            "stored. /privacy lists everything exactly, with how long it is kept."
        ),
        "it": (
            "<b>Come funziona</b>\n"
            "Manda una foto, o un'immagine come file (JPEG, PNG, WebP, HEIC). Ti rispondo con la "
            "categoria del capo, quanto ne sono sicuro e le categorie più vicine.\n\n"
            "<b>Che cosa conservo</b>\n"
            "Per ogni foto: i tuoi id, la categoria che ti ho indicato con i suoi dettagli, i colori "
            "del capo e l'ora; inoltre la tua lingua e le tue impostazioni. La foto non viene mai "
            "conservata. /privacy elenca tutto con precisione, e per quanto tempo."
        ),
    },
    "result": {
        "en": "I see: <b>{label}</b> ({confidence} sure).\nAlso possible: {alternatives}.",
        "it": "Vedo: <b>{label}</b> (probabilità {confidence}).\nAltre possibilità: {alternatives}.",
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
        "en": "This image has far too many pixels for me to open. Please send a normal photo.",
        "it": "Questa immagine ha troppi pixel per poterla aprire. Manda una foto normale.",
    },
    "too_small": {
        "en": "This image is too small to see a garment. Please send a larger photo.",
        "it": "Questa immagine è troppo piccola per riconoscere un capo. Manda una foto più grande.",
    },
    "blank_image": {
        "en": (
            "This photo looks blank: I cannot see a garment in it. Please photograph one garment "
            "on a plain background, in good light."
        ),
        "it": (
            "Questa foto sembra vuota: non ci vedo nessun capo. Fotografa un solo capo su uno "
            "sfondo uniforme, con buona luce."
        ),
    },
    "file_too_big": {
        "en": "This file is over Telegram's 20 MB limit for bots. Please send it as a photo instead.",
        "it": "Questo file supera il limite di 20 MB che Telegram pone ai bot. Mandalo come foto.",
    },
    "unknown_command": {
        "en": "I do not know that command. /help lists the ones I have.",
        "it": "Non conosco questo comando. /help elenca quelli che ho.",
    },
    "text_hint": {
        "en": "Send me a photo of a garment and I will tell you what it is. /help explains more.",
        "it": "Mandami la foto di un capo e ti dico che cos'è. /help spiega di più.",
    },
    "unsupported_message": {
        "en": "I can only look at photos and images. Send me a photo of a garment.",
        "it": "So guardare solo foto e immagini. Mandami la foto di un capo.",
    },
    "commands_help": {
        "en": (
            "<b>Commands</b>\n"
            "/mystyle: your style over the last 30 days and overall\n"
            "/trends: what all customers sent in the last 7 days\n"
            "/subscribe, /unsubscribe: a weekly summary of your style\n"
            "/language: choose English or Italian\n"
            "/privacy: what I store and for how long\n"
            "/forget: delete everything I store about you"
        ),
        "it": (
            "<b>Comandi</b>\n"
            "/mystyle: il tuo stile negli ultimi 30 giorni e in tutto\n"
            "/trends: che cosa hanno mandato i clienti negli ultimi 7 giorni\n"
            "/subscribe, /unsubscribe: un riepilogo settimanale del tuo stile\n"
            "/language: scegli italiano o inglese\n"
            "/privacy: che cosa conservo e per quanto tempo\n"
            "/forget: cancella tutto ciò che conservo su di te"
        ),
    },
    "language_prompt": {
        "en": "Which language should I speak?",
        "it": "In che lingua preferisci che ti parli?",
    },
    "language_auto_button": {
        "en": "Follow my Telegram setting",
        "it": "Usa la lingua di Telegram",
    },
    "language_set": {
        "en": "Done: I will speak English from now on.",
        "it": "Fatto: d'ora in poi ti parlo in italiano.",
    },
    "language_auto": {
        "en": "Done: I will follow your Telegram language setting.",
        "it": "Fatto: seguirò la lingua impostata su Telegram.",
    },
    "mystyle_empty": {
        "en": "You have not sent me any garments yet. Send a photo and your style will start to show here.",
        "it": "Non mi hai ancora mandato nessun capo. Manda una foto e qui comincerà a vedersi il tuo stile.",
    },
    "mystyle_only_uncertain": {
        "en": (
            "Your photos so far ({count}) did not get a sure answer, so your style cannot show yet. "
            "Photos of one garment on a plain background, in good light, work best."
        ),
        "it": (
            "Le tue foto finora ({count}) non hanno avuto una risposta sicura, quindi il tuo stile non "
            "si vede ancora. Funzionano meglio foto di un solo capo su uno sfondo semplice, con buona luce."
        ),
    },
    "mystyle_uncertain": {
        "en": "Photos without a sure answer, not counted above: {count}",
        "it": "Foto escluse dal conteggio perché incerte: {count}",
    },
    "mystyle": {
        "en": (
            "<b>Your style</b>\n"
            "Garments in the last 30 days: {recent_total}{recent_breakdown}\n"
            "Garments overall: {total}{total_breakdown}\n"
            "Favourite: <b>{favourite}</b>\n"
            "Colours you wear most: {colours}"
        ),
        "it": (
            "<b>Il tuo stile</b>\n"
            "Capi negli ultimi 30 giorni: {recent_total}{recent_breakdown}\n"
            "Capi in tutto: {total}{total_breakdown}\n"
            "Preferito: <b>{favourite}</b>\n"
            "I colori che indossi di più: {colours}"
        ),
    },
    "mystyle_chart_title": {"en": "Your garments, last 30 days", "it": "I tuoi capi, ultimi 30 giorni"},
    "no_colours": {"en": "not enough photos yet", "it": "ancora poche foto"},
    "no_data": {"en": "No photos yet", "it": "Ancora nessuna foto"},
    "trends_empty": {
        "en": "No customer has sent a photo in the last two weeks, so there are no trends yet.",
        "it": "Nessun cliente ha mandato foto nelle ultime due settimane, quindi non ci sono ancora tendenze.",
    },
    "trends": {
        "en": "<b>Trends: last 7 days against the 7 before</b>\n{lines}\n{rising}",
        "it": "<b>Tendenze: ultimi 7 giorni rispetto ai 7 precedenti</b>\n{lines}\n{rising}",
    },
    "trends_rising": {"en": "Rising: <b>{label}</b>", "it": "In crescita: <b>{label}</b>"},
    "trends_nothing_rising": {
        "en": "Nothing is rising this week.",
        "it": "Nulla è in crescita questa settimana.",
    },
    "trends_chart_title": {"en": "Garments sent by customers", "it": "Capi mandati dai clienti"},
    "this_week": {"en": "last 7 days", "it": "ultimi 7 giorni"},
    "last_week": {"en": "7 days before", "it": "7 giorni prima"},
    "album_header": {"en": "Your {count} photos:", "it": "Le tue {count} foto:"},
    "album_skipped": {"en": "not a photo, skipped", "it": "non è una foto, saltata"},
    "album_unsure": {"en": "not sure ({label}?)", "it": "non sono sicuro ({label}?)"},
    "feedback_right_button": {"en": "👍 Right", "it": "👍 Giusto"},
    "feedback_wrong_button": {"en": "✏️ Wrong", "it": "✏️ Sbagliato"},
    "feedback_choose": {"en": "Which garment is it?", "it": "Che capo è?"},
    "feedback_thanks": {"en": "Thanks for confirming!", "it": "Grazie della conferma!"},
    "feedback_corrected": {
        "en": "Thanks! I noted it as {label}; it helps me learn.",
        "it": "Grazie! L'ho segnato come {label}: mi aiuta a imparare.",
    },
    "feedback_not_yours": {
        "en": "Only the person who sent the photo can rate this answer.",
        "it": "Solo chi ha mandato la foto può valutare questa risposta.",
    },
    "feedback_gone": {
        "en": "This answer is no longer stored.",
        "it": "Questa risposta non è più conservata.",
    },
    "subscribe_done": {
        "en": "Subscribed: every week I will send you a summary of your style.",
        "it": "Iscrizione completata: ogni settimana ti manderò un riepilogo del tuo stile.",
    },
    "subscribe_already": {
        "en": "You are already subscribed to the weekly summary.",
        "it": "La tua iscrizione al riepilogo settimanale è già attiva.",
    },
    "unsubscribe_done": {
        "en": "Unsubscribed: no more weekly summaries.",
        "it": "Iscrizione annullata: niente più riepiloghi settimanali.",
    },
    "unsubscribe_already": {
        "en": "You are not subscribed to the weekly summary.",
        "it": "La tua iscrizione al riepilogo settimanale non è attiva.",
    },
    "privacy": {
        "en": (
            "<b>What I store</b>\n"
            "• For each photo: your user id, the chat and message ids, Telegram's file id, the "
            "category I answered, its confidence, the three likeliest categories, the garment's "
            "colour names, the model version and the time.\n"
            "• Your language, when you first and last wrote, and whether you subscribed.\n"
            "• If you rate an answer: your verdict and the 28x28 grayscale thumbnail the model saw.\n"
            "• The weekly summaries I sent you.\n"
            "The photo itself is never stored.\n\n"
            "<b>For how long</b>\n"
            "Answers are deleted after {retention_days} days; ratings and thumbnails with them. "
            "Your language, your subscription and the list of summaries sent to you are kept until "
            "you use /forget, which deletes everything about you at once."
        ),
        "it": (
            "<b>Che cosa conservo</b>\n"
            "• Per ogni foto: il tuo id utente, gli id della chat e del messaggio, l'id del file su "
            "Telegram, la categoria che ti ho indicato, la sua probabilità, le tre categorie più "
            "probabili, i nomi dei colori del capo, la versione del modello e l'ora.\n"
            "• La tua lingua, quando mi hai scritto la prima e l'ultima volta e se hai attivato il riepilogo settimanale.\n"
            "• Se valuti una risposta: il tuo giudizio e la miniatura 28x28 in scala di grigi vista "
            "dal modello.\n"
            "• I riepiloghi settimanali che ti ho mandato.\n"
            "La foto non viene mai conservata.\n\n"
            "<b>Per quanto tempo</b>\n"
            "Le risposte vengono cancellate dopo {retention_days} giorni, insieme a valutazioni e "
            "miniature. La tua lingua, la tua iscrizione e l'elenco dei riepiloghi che ti ho mandato "
            "restano finché non usi /forget, che cancella subito tutto ciò che ti riguarda."
        ),
    },
    "forget_confirm": {
        "en": "This deletes everything I store about you: answers, ratings, subscription and settings. Continue?",
        "it": "Sto per cancellare tutto ciò che conservo su di te: risposte, valutazioni, iscrizione e impostazioni. Vuoi continuare?",
    },
    "forget_yes_button": {"en": "Yes, delete everything", "it": "Sì, cancella tutto"},
    "forget_no_button": {"en": "Cancel", "it": "Annulla"},
    "forget_done": {
        "en": "Done: everything I stored about you has been deleted.",
        "it": "Fatto: ho cancellato tutto ciò che conservavo su di te.",
    },
    "forget_cancelled": {
        "en": "Cancelled: nothing was deleted.",
        "it": "Annullato: non ho cancellato nulla.",
    },
    "flood_limit": {
        "en": "That is a lot of photos at once! I skip new photos for up to a minute. "
        "Please send them again after that.",
        "it": "Troppe foto in poco tempo! Per un minuto al massimo ignorerò quelle nuove: rimandamele tra poco.",
    },
    "animation_not_supported": {
        "en": "I cannot look at animations or videos. Please send a still photo.",
        "it": "Non so guardare animazioni o video. Manda una foto.",
    },
    "staff_digest": {
        "en": (
            "<b>{title}</b>\n"
            "{dates}\n\n"
            "Photos classified: {photos}{unsure}\n"
            "Customers: {active} active, {new} new\n"
            "Average confidence: {confidence}\n"
            "{feedback}\n\n"
            "<b>Categories</b> {compared}\n"
            "{categories}\n\n"
            "{movers}"
        ),
        "it": (
            "<b>{title}</b>\n"
            "{dates}\n\n"
            "Foto classificate: {photos}{unsure}\n"
            "Clienti attivi: {active}, nuovi: {new}\n"
            "Probabilità media delle risposte: {confidence}\n"
            "{feedback}\n\n"
            "<b>Categorie</b> {compared}\n"
            "{categories}\n\n"
            "{movers}"
        ),
    },
    "staff_digest_unsure": {
        "en": " (without a sure answer, so left out of the categories: {count})",
        "it": " (senza una risposta sicura, quindi escluse dalle categorie: {count})",
    },
    "staff_digest_feedback": {
        "en": (
            "Answers confirmed by customers: {confirmed} ({confirmed_share} of the week's photos), "
            "corrected: {corrected} ({corrected_share})"
        ),
        "it": (
            "Risposte confermate dai clienti: {confirmed} ({confirmed_share} delle foto della settimana), "
            "corrette: {corrected} ({corrected_share})"
        ),
    },
    "staff_digest_no_feedback": {
        "en": "No photos, so no confirmations or corrections from customers.",
        "it": "Nessuna foto, quindi nessuna conferma o correzione dai clienti.",
    },
    "staff_digest_title": {"en": "Weekly digest {week}", "it": "Riepilogo settimanale {week}"},
    "staff_digest_title_so_far": {
        "en": "Digest of {week} so far",
        "it": "Riepilogo della settimana {week} finora",
    },
    "staff_digest_compared": {
        "en": "(change against {week})",
        "it": "(variazione rispetto alla settimana {week})",
    },
    "staff_digest_compared_so_far": {
        "en": "(change against the same days of {week})",
        "it": "(variazione rispetto agli stessi giorni della settimana {week})",
    },
    "staff_digest_no_garments": {
        "en": "No garments with a sure answer in {week}.",
        "it": "Nessun capo con una risposta sicura nella settimana {week}.",
    },
    "staff_digest_rising": {"en": "Rising: <b>{label}</b>", "it": "In crescita: <b>{label}</b>"},
    "staff_digest_falling": {"en": "Falling: <b>{label}</b>", "it": "In calo: <b>{label}</b>"},
    "staff_digest_steady": {
        "en": "No category rose or fell.",
        "it": "Nessuna categoria è cresciuta o calata.",
    },
    "staff_chart_title": {"en": "Garments by category, {week}", "it": "Capi per categoria, {week}"},
    "staff_chart_empty": {
        "en": "No garments with a sure answer",
        "it": "Nessun capo con una risposta sicura",
    },
    "staff_chart_so_far": {"en": "{week} so far", "it": "{week} finora"},
    "staff_chart_same_days": {"en": "{week}, same days", "it": "{week}, stessi giorni"},
    "customer_digest": {
        "en": (
            "<b>Your week in style</b>\n"
            "{dates}\n\n"
            "{garments}\n"
            "Colours: {colours}\n"
            "{comparison}\n\n"
            "/unsubscribe stops this weekly summary."
        ),
        "it": (
            "<b>La tua settimana di stile</b>\n"
            "{dates}\n\n"
            "{garments}\n"
            "Colori: {colours}\n"
            "{comparison}\n\n"
            "/unsubscribe interrompe questo riepilogo settimanale."
        ),
    },
    "customer_digest_garments": {
        "en": "Garments of the week: {count} ({breakdown})",
        "it": "Capi della settimana: {count} ({breakdown})",
    },
    "customer_digest_no_garments": {
        "en": "This week I was not sure about any of the garments you sent.",
        "it": "Questa settimana non ero sicuro di nessuno dei capi che mi hai mandato.",
    },
    "customer_digest_first_week": {
        "en": "Your usual style will show here once you have sent garments in more than one week.",
        "it": "Il tuo stile abituale comparirà qui quando mi avrai mandato capi in più di una settimana.",
    },
    "customer_digest_usual": {
        "en": "Your usual favourite: <b>{usual}</b>.",
        "it": "Il tuo preferito abituale: <b>{usual}</b>.",
    },
    "customer_digest_as_usual": {
        "en": "Your favourite this week is <b>{label}</b>, as usual.",
        "it": "Il tuo preferito di questa settimana è <b>{label}</b>, come sempre.",
    },
    "customer_digest_changed": {
        "en": "This week you chose <b>{label}</b> most, while your usual favourite is <b>{usual}</b>.",
        "it": "Questa settimana hai scelto soprattutto <b>{label}</b>, mentre di solito preferisci <b>{usual}</b>.",
    },
    "digest_week_format": {"en": "“{label}” is not a week.", "it": "«{label}» non è una settimana."},
    "digest_week_missing": {
        "en": "There is no week {label}: weeks run from W01 to W52, or to W53 in some years.",
        "it": "La settimana {label} non esiste: le settimane vanno da W01 a W52, o a W53 in alcuni anni.",
    },
    "digest_week_year": {
        "en": "There are no digests from the year {label}.",
        "it": "Non ci sono riepiloghi dell'anno {label}.",
    },
    "digest_week_future": {
        "en": "Week {label} has not started yet.",
        "it": "La settimana {label} non è ancora iniziata.",
    },
    "digest_usage": {
        "en": (
            "Send /digest for this week so far, or /digest followed by a week that has started, "
            "written as YYYY-Www, such as /digest {example}."
        ),
        "it": (
            "Manda /digest per la settimana in corso, oppure /digest seguito da una settimana già "
            "iniziata nel formato AAAA-Wss, per esempio /digest {example}."
        ),
    },
    "staff_commands_help": {
        "en": (
            "<b>Staff commands</b>\n"
            "/digest: this week's digest so far, or a past week's, such as /digest {example}\n"
            "/stats: stored answers, users, subscribers, model and uptime"
        ),
        "it": (
            "<b>Comandi per il personale</b>\n"
            "/digest: il riepilogo della settimana in corso, o di una settimana passata, per esempio "
            "/digest {example}\n"
            "/stats: risposte conservate, utenti, iscritti, modello e tempo di attività"
        ),
    },
    "staff_only": {
        "en": (
            "Sorry, this command is only for the shop's staff. If you are staff, give this chat's "
            "id, {chat_id}, to whoever runs the bot."
        ),
        "it": (
            "Mi dispiace, questo comando è riservato al personale del negozio. Se fai parte del "
            "personale, comunica l'id di questa chat, {chat_id}, a chi gestisce il bot."
        ),
    },
    "staff_stats": {
        "en": (
            "<b>Bot statistics</b>\n"
            "Answers stored: {classifications}\n"
            "Users, staff included: {users}\n"
            "Subscribers to the weekly summary: {subscribers}\n"
            "Model: {model_version}\n"
            "Uptime: {uptime}"
        ),
        "it": (
            "<b>Statistiche del bot</b>\n"
            "Risposte conservate: {classifications}\n"
            "Utenti, personale compreso: {users}\n"
            "Iscritti al riepilogo settimanale: {subscribers}\n"
            "Modello: {model_version}\n"
            "In funzione da: {uptime}"
        ),
    },
    "send_again_after_restart": {
        "en": "Sorry, I was restarting and could not finish your last message. Please send it again in a minute.",
        "it": "Scusa, mi stavo riavviando e non ho potuto finire il tuo ultimo messaggio. Rimandamelo tra un minuto.",
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


class Html(str):
    """Text that is already valid Telegram HTML (built by `translate`), inserted without escaping."""


def translate(key: str, language: str, **values: object) -> Html:
    """Return message `key` in `language`, with `values` HTML-escaped (unless `Html`) and inserted."""
    text = MESSAGES[key].get(language) or MESSAGES[key][DEFAULT_LANGUAGE]
    escaped = {
        name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
        for name, value in values.items()
    }
    return Html(text.format(**escaped))


def command_menu(language: str, staff: bool = False) -> list[tuple[str, str]]:
    """Return the (command, description) pairs of the command menu in `language`."""
    commands = {**CUSTOMER_COMMANDS, **STAFF_COMMANDS} if staff else CUSTOMER_COMMANDS
    return [(command, names.get(language) or names[DEFAULT_LANGUAGE]) for command, names in commands.items()]


MONTH_NAMES = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "it": (
        "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
        "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
    ),
}  # fmt: skip


def date_range(first: date, last: date, language: str) -> str:
    """Return the days from `first` to `last` as people write them, such as "23 to 29 November 2026".

    The month and year are written once when both days share them. In Italian it reads "dal 23 al 29
    novembre 2026", with "1°" for the first of a month and "dall'"/"all'" before 8 and 11.
    """
    months = MONTH_NAMES.get(language) or MONTH_NAMES[DEFAULT_LANGUAGE]
    italian = language == "it"

    def day(moment: date, with_month: bool, with_year: bool) -> str:
        text = "1°" if italian and moment.day == 1 else str(moment.day)
        if with_month:
            text += f" {months[moment.month - 1]}"
        if with_year:
            text += f" {moment.year}"
        return text

    last_text = day(last, with_month=True, with_year=True)
    if first == last:
        return last_text
    first_text = day(
        first,
        with_month=first.month != last.month or first.year != last.year,
        with_year=first.year != last.year,
    )
    if not italian:
        return f"{first_text} to {last_text}"
    return f"{_italian_preposition('dal', first)}{first_text} {_italian_preposition('al', last)}{last_text}"


def _italian_preposition(preposition: str, moment: date) -> str:
    """Return "dal " or "al ", or their elided "dall'" and "all'" before a day read with a vowel (8, 11)."""
    return f"{preposition}l'" if moment.day in (8, 11) else f"{preposition} "


def colour_name(colour: str, language: str) -> str:
    """Return a colour name in the user's language."""
    names = COLOUR_NAMES.get(colour)
    if names is None:
        return colour
    return names.get(language) or names[DEFAULT_LANGUAGE]


def class_label(label: str, language: str) -> str:
    """Return a model class name in the user's language."""
    names = CLASS_LABELS.get(label)
    if names is None:
        return label
    return names.get(language) or names[DEFAULT_LANGUAGE]
