"""HTTP/1.1 as the local Bot API server speaks it: requests in, Bot API parameters out."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from bot.cli.emulator import JSONDict
from bot.cli.emulator.wire import JSON_PARAMETERS

MAX_REQUEST_LINE: Final = 8 * 1024
MAX_BODY_BYTES: Final = 60 * 1024 * 1024

_INT_PARAMETERS: Final = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
        "from_chat_id",
    }
)
_BOOL_PARAMETERS: Final = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
    }
)


@dataclass(slots=True)
class HttpRequest:
    verb: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


class ProtocolError(Exception):
    """The client sent something that is not HTTP/1.1 we understand."""


def _coerce(name: str, value: Any) -> Any:
    """A form field as the Bot API would understand it (PTB sends every value as a string)."""
    if not isinstance(value, str):
        return value
    if name in JSON_PARAMETERS and value[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    elif name in _INT_PARAMETERS and value.lstrip("-").isdigit():
        return int(value)
    elif name in _BOOL_PARAMETERS and value in ("true", "false"):
        return value == "true"
    return value


def _content_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _parse_multipart(content_type: str, body: bytes) -> JSONDict:
    """multipart/form-data into fields; uploads become dicts with filename, bytes and size."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ProtocolError("malformed multipart body")
    fields: JSONDict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            charset = part.get_content_charset() or "utf-8"
            fields[name] = data.decode(charset)
        else:
            fields[name] = {
                "filename": filename,
                "mime_type": part.get_content_type(),
                "size": len(data),
                "bytes": data,
            }
    return fields


def decode_params(request: HttpRequest) -> JSONDict:
    raw: JSONDict = dict(parse_qsl(urlsplit(request.target).query, keep_blank_values=True))
    kind = _content_type(request.headers)
    if request.body:
        if kind == "application/x-www-form-urlencoded":
            raw.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        elif kind == "application/json":
            decoded = json.loads(request.body)
            if not isinstance(decoded, dict):
                raise ProtocolError("JSON body must be an object")
            raw.update(decoded)
        elif kind == "multipart/form-data":
            raw.update(_parse_multipart(request.headers["content-type"], request.body))
        else:
            raise ProtocolError(f"unsupported content type {kind!r}")
    return {name: _coerce(name, value) for name, value in raw.items()}


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """One HTTP/1.1 request, or None when the client closed the connection between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise ProtocolError("connection closed mid-request") from exc
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("request head too long") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ProtocolError(f"bad request line {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"bad header line {line[:100]!r}")
        headers[name.strip().lower()] = value.strip()
    if "100-continue" in headers.get("expect", "").lower():
        # The caller writes the interim answer before the body; see _serve_connection.
        headers["x-expect-continue"] = "1"
    return HttpRequest(parts[0].upper(), parts[1], parts[2], headers, b"")


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # Trailers (rarely any) end with an empty line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ProtocolError("request body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or "0")
    if length < 0 or length > MAX_BODY_BYTES:
        raise ProtocolError("bad content length")
    return await reader.readexactly(length) if length else b""


def http_response(status: int, body: bytes, *, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Server: duban-local-bot-api\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def dump(body: JSONDict) -> bytes:
    return json.dumps(body, ensure_ascii=False, default=json_default).encode("utf-8")


def json_default(value: object) -> object:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
