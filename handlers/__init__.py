"""Telegram-facing handlers, one module per feature."""
