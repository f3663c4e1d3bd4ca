"""The console's files: what the bot sends is saved to a folder, what the user sends is read
from a path and handed to the bot as Telegram would hand it a photo or a document."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.cli.emulator import JSONDict

# Sent as a photo, as Telegram's apps send pictures; anything else goes as a document.
PHOTO_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png"})
# Characters no file name should carry on any system the console runs on.
_UNSAFE: Final = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class AttachError(Exception):
    """A file the console cannot send (missing, a folder, unreadable): one line for the user."""


@dataclass(frozen=True)
class Upload:
    """A file the console's user sends: the message content and the bytes behind its id."""

    file_id: str
    content: JSONDict
    data: bytes


def upload(path_text: str) -> Upload:
    """Read the file at a path as the user typed it (quotes and ~ allowed) for sending."""
    path = Path(path_text.strip().strip("'\"")).expanduser()
    if not path.is_file():
        raise AttachError(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AttachError(f"{path}: {exc.strerror or exc}") from exc
    # The same bytes get the same id on every visit, as Telegram's file ids stay valid.
    digest = hashlib.sha256(data).hexdigest()[:24]
    file_id = f"console-{digest}"
    meta: JSONDict = {"file_id": file_id, "file_unique_id": f"u-{digest}", "file_size": len(data)}
    if path.suffix.lower() in PHOTO_SUFFIXES:
        return Upload(file_id, {"photo": [{**meta, "width": 1280, "height": 960}]}, data)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    document = {**meta, "file_name": path.name, "mime_type": mime}
    return Upload(file_id, {"document": document}, data)


class ConsoleFiles:
    """The folder where the pictures and files the bot sends are saved, one file each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, data: bytes, name: str) -> Path:
        """Write the bytes under the name (made safe); an existing file is never overwritten,
        the new one gets a number (状态-2.png)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = _UNSAFE.sub("_", Path(name).name).strip(" .") or "file"
        stem, suffix = Path(safe).stem, Path(safe).suffix
        path, number = self.folder / safe, 1
        while path.exists():
            number += 1
            path = self.folder / f"{stem}-{number}{suffix}"
        path.write_bytes(data)
        return path.absolute()


def photo_name(data: bytes, fallback: str) -> str:
    """A picture's file name when the bot gave none: the stem, and the suffix its bytes say."""
    suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
    return f"{fallback}{suffix}"
