"""Parser for ``multipart/form-data`` request bodies (RFC 7578), as sent for file uploads.

The standard library's ``cgi`` module is deprecated, so the body is split on the
boundary here, and the ``email`` package only parses each part's header block.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

__all__ = [
    "MultipartError",
    "MultipartPart",
    "parse_multipart",
]

_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.HTTP)


class MultipartError(ValueError):
    """A malformed multipart body or Content-Type header."""


@dataclass(frozen=True)
class MultipartPart:
    """One form field. ``filename`` is None for a plain text field."""

    name: str
    data: bytes
    filename: str | None
    content_type: str | None


def parse_multipart(body: bytes, content_type_header: str) -> list[MultipartPart]:
    """Split a multipart/form-data body into its parts.

    Raises MultipartError when the boundary parameter is missing, the body has no
    closing delimiter, or a part lacks a ``Content-Disposition`` name.
    """
    boundary = _boundary_from_content_type(content_type_header)
    delimiter = b"--" + boundary

    chunks = body.split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise MultipartError("multipart body has no closing boundary delimiter")

    # chunks[0] is the preamble and chunks[-1] the "--" closing marker plus epilogue.
    return [_parse_part(chunk) for chunk in chunks[1:-1]]


def _boundary_from_content_type(content_type_header: str) -> bytes:
    message = _HEADER_PARSER.parsebytes(f"Content-Type: {content_type_header}\r\n\r\n".encode())
    boundary = message.get_param("boundary")
    if not boundary or not isinstance(boundary, str):
        raise MultipartError("Content-Type multipart/form-data has no boundary parameter")
    return boundary.encode("latin-1")


def _parse_part(chunk: bytes) -> MultipartPart:
    # Each part starts with the CRLF that ends the delimiter line and ends with the
    # CRLF that precedes the next delimiter.
    if chunk.startswith(b"\r\n"):
        chunk = chunk[2:]
    if chunk.endswith(b"\r\n"):
        chunk = chunk[:-2]

    header_block, separator, data = chunk.partition(b"\r\n\r\n")
    if not separator:
        # A part with no body: the headers end right before the closing CRLF.
        header_block, data = chunk, b""

    headers = _HEADER_PARSER.parsebytes(header_block + b"\r\n\r\n")
    name = headers.get_param("name", header="content-disposition")
    if not name or not isinstance(name, str):
        raise MultipartError("multipart part has no Content-Disposition name")

    filename = headers.get_filename()
    content_type = headers.get("content-type")
    return MultipartPart(
        name=name,
        data=data,
        filename=filename,
        content_type=str(content_type) if content_type else None,
    )
