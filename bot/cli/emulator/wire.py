"""A Bot API call as it arrives from PTB (parameters, uploads) and as it was answered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any, Final, TypeAlias

from telegram.request import RequestData

JSONDict: TypeAlias = dict[str, Any]
ChatKey: TypeAlias = int | str

# Parameters the Bot API takes as JSON-serialized objects; PTB hands them over as dicts already,
# but a caller using ``api_kwargs`` may pass a pre-encoded string.
JSON_PARAMETERS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "commands",
        "scope",
        "menu_button",
        "media",
        "allowed_updates",
    }
)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request as the emulator received and answered it."""

    method: str
    params: JSONDict
    result: Any = None
    status: int = 200
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Whether Telegram would have accepted the call."""
        return self.status == 200

    @property
    def message(self) -> JSONDict | None:
        """The Message the call produced (sent or edited), or None."""
        if isinstance(self.result, dict) and "message_id" in self.result:
            return self.result
        return None

    @property
    def text(self) -> str | None:
        """The rendered text (or caption) of the produced message, as the user sees it."""
        message = self.message
        if message is None:
            return None
        text = message.get("text", message.get("caption"))
        return text if isinstance(text, str) else None


def chat_key(chat_id: object) -> ChatKey:
    """A chat id as the Bot API takes it: a number, or an @username."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


def decode_request(request_data: RequestData | None) -> JSONDict:
    """PTB's request as plain parameters; uploads become dicts of filename, bytes and size."""
    if request_data is None:
        return {}
    params = {k: _decode_json_value(k, v) for k, v in request_data.parameters.items()}
    if not request_data.contains_files:
        return params
    uploads = {name: _read_upload(*field) for name, field in request_data.multipart_data.items()}
    used: set[str] = set()
    params = {k: _replace_attach_uris(v, uploads, used) for k, v in params.items()}
    for name, upload in uploads.items():
        if name not in used:
            params[name] = upload
    return params


def _decode_json_value(name: str, value: Any) -> Any:
    if name in JSON_PARAMETERS and isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _read_upload(filename: str, content: bytes | IO[bytes], mime_type: str) -> JSONDict:
    if isinstance(content, bytes):
        data = content
    else:
        position = content.tell() if content.seekable() else None
        data = content.read()
        if position is not None:
            content.seek(position)  # leave the caller's handle as PTB would find it
    return {"filename": filename, "size": len(data), "bytes": data, "mime_type": mime_type}


def _replace_attach_uris(value: Any, uploads: dict[str, JSONDict], used: set[str]) -> Any:
    if isinstance(value, str) and value.startswith("attach://"):
        name = value.removeprefix("attach://")
        if name in uploads:
            used.add(name)
            return uploads[name]
        return value
    if isinstance(value, dict):
        return {k: _replace_attach_uris(v, uploads, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_attach_uris(v, uploads, used) for v in value]
    return value
