"""Telegram-facing handlers, one module per feature, each entered through handlers/access.py."""
