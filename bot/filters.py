"""Message filters the standard ones do not cover: image files by MIME type or name, albums,
and group messages that address the bot."""

from __future__ import annotations

from pathlib import PurePosixPath

from telegram import Message
from telegram.ext import filters

__all__ = ["ADDRESSED_TO_BOT", "IMAGE_DOCUMENT", "IN_ALBUM"]

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".mpo", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}


class _ImageDocument(filters.MessageFilter):
    """A document whose MIME type is image/* in any letter case, or whose name ends like an image.

    iPhones may send HEIC files as application/octet-stream, and some clients upper-case the
    MIME type; the standard `filters.Document.IMAGE` misses both.
    """

    def filter(self, message: Message) -> bool:
        document = message.document
        if document is None:
            return False
        if (document.mime_type or "").lower().startswith("image/"):
            return True
        return PurePosixPath(document.file_name or "").suffix.lower() in IMAGE_SUFFIXES


class _InAlbum(filters.MessageFilter):
    """A message that belongs to an album (it has a `media_group_id`)."""

    def filter(self, message: Message) -> bool:
        return message.media_group_id is not None


class _AddressedToBot(filters.MessageFilter):
    """In a group: a message that mentions the bot in its caption or text, or replies to the bot."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        # Telegram marks mentions as entities, but a plain search also covers clients that do not.
        mention = f"@{bot.username}".lower()
        words = (message.caption or message.text or "").lower().split()
        return any(word.strip(".,:;!?") == mention for word in words)


IMAGE_DOCUMENT = _ImageDocument(name="IMAGE_DOCUMENT")
IN_ALBUM = _InAlbum(name="IN_ALBUM")
ADDRESSED_TO_BOT = _AddressedToBot(name="ADDRESSED_TO_BOT")
