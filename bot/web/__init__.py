"""The web application: Telegram's webhook, the health check and the dashboard, in one ASGI app."""
