"""Management pages under /admin: stores and touchpoints, surveys, terminals, people, alert
rules, targets and QR posters. Server-rendered, phone-friendly, one module per area.

Who may do what: HQ admins change everything; HQ analysts read every page; regional and store
managers see only the terminals of their own stores, read only; any other admin page answers
403 for them. Every query goes through the signed-in person's Scope (hub/services/access.py),
every form carries the session's CSRF token (hub/auth/guard.py checks it before any view
runs). Views parse the form, call a service and render hub/templates/admin/.
"""

# each area adds its routes to ``bp``
from hub.admin import (  # noqa: F401
    alert_rules,
    measure_signals,
    measures,
    posters,
    stores,
    surveys,
    targets,
    teams,
    terminals,
    users,
)
from hub.admin.base import bp

__all__ = ["bp"]
