"""The coordinators' dashboard (大屏), a Telegram Mini App: overview, matrix, task, units.

Include `dashboard_routes(services)` in an ASGI app; `duban dashboard` serves it alone.
"""

from bot.dashboard.routes import dashboard_routes

__all__ = ["dashboard_routes"]
