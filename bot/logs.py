"""Logging that never shows a secret: tokens are masked in every record, tracebacks included."""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "<redacted>"


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's message and traceback with a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            # Exceptions quote tokens too (PTB's InvalidToken does): render, then mask.
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        for secret in self.secrets:
            message = message.replace(secret, MASK)
        record.msg, record.args = message, None
        return True


def install(secrets: Iterable[str]) -> None:
    """Mask the secrets on every handler of the root logger."""
    guard = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(guard)
