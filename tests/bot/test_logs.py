"""Secrets never reach the logs, not even inside a traceback."""

from __future__ import annotations

import io
import logging

from bot.logs import MASK, RedactSecrets

SECRET = "123456:ABCdefGhIJKlmnoPQRstuVWxyz0123456789"


def test_token_masked_in_message_args_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([SECRET]))
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error("calling https://api.telegram.org/bot%s/getMe", SECRET)
        try:
            raise ValueError(f"The token `{SECRET}` was rejected by the server.")
        except ValueError:
            log.exception("start-up failed")
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert SECRET not in output
    assert f"/bot{MASK}/getMe" in output
    assert f"The token `{MASK}` was rejected" in output
