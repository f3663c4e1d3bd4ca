"""What the emulator keeps besides messages: files (uploads and downloads) and command menus."""

from __future__ import annotations

import json
from typing import Any

from bot.cli.emulator.rules import MAX_DOWNLOAD_BYTES, ApiError, check_commands
from bot.cli.emulator.wire import JSONDict


class FileStore:
    """Files by id, with the paths getFile handed out for downloading them."""

    def __init__(self) -> None:
        self._files: dict[str, JSONDict] = {}  # file_id -> {"content": bytes|None, "size": int}
        self._paths: dict[str, str] = {}  # file_path -> file_id

    def add(self, file_id: str, content: bytes | None = None, *, size: int | None = None) -> None:
        """Keep a file: its content, or only its size."""
        self._files[file_id] = {
            "content": content,
            "size": len(content or b"") if size is None else size,
        }

    def size(self, file_id: str) -> int:
        """The file's size in bytes (0 when unknown)."""
        return int(self._files.get(file_id, {}).get("size", 0))

    def content(self, file_id: str) -> bytes | None:
        """The file's bytes, when they are known (not only its size)."""
        content = self._files.get(file_id, {}).get("content")
        return content if isinstance(content, bytes) else None

    def sent(self, value: Any, kind: str) -> tuple[str, int]:
        """A file the bot sends: an upload (kept under a new id) or an existing file id."""
        if isinstance(value, dict):  # an upload, as decode_request reads it
            file_id = f"{kind}-{len(self._files) + 1}"
            self.add(file_id, value["bytes"])
            return file_id, value["size"]
        file_id = str(value)
        return file_id, self.size(file_id)

    def get_file(self, params: JSONDict) -> JSONDict:
        """getFile: the File object, with a path to download it from."""
        file_id = str(params.get("file_id", ""))
        if not file_id:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = self.size(file_id)
        if size > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        path = f"files/{file_id}"
        self._paths[path] = file_id
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": size,
            "file_path": path,
        }

    def download(self, path: str) -> bytes | None:
        """The bytes behind a path getFile handed out, or None for any other path."""
        file_id = self._paths.get(path)
        if file_id is None:
            return None
        content = self.content(file_id)
        return content if content is not None else f"fake file {file_id}".encode()


class CommandMenus:
    """The command menus setMyCommands set: one per scope and client language."""

    def __init__(self) -> None:
        self._menus: dict[str, list[JSONDict]] = {}

    @staticmethod
    def _key(params: JSONDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def set(self, params: JSONDict) -> bool:
        """setMyCommands, checked as Telegram checks the names and descriptions."""
        commands = params.get("commands") or []
        check_commands(commands)
        self._menus[self._key(params)] = list(commands)
        return True

    def delete(self, params: JSONDict) -> bool:
        """deleteMyCommands."""
        self._menus.pop(self._key(params), None)
        return True

    def get(self, params: JSONDict) -> list[JSONDict]:
        """getMyCommands."""
        return list(self._menus.get(self._key(params), []))
