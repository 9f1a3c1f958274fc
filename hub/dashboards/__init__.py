"""Dashboard pages for people: HQ's overview of every store it sees (/dashboard) and one
store's figures (/dashboard/stores/<code>), with the numbers behind each chart as a table and
as CSV (/dashboard.csv). Views parse, call hub/services/analytics.py and render
hub/templates/dashboards/; charts are server-side SVG from hub/charts.py."""

from hub.dashboards import (
    comments,  # noqa: F401 (registers /dashboard/comments on bp)
    faces,  # noqa: F401 (registers face_svg for every template)
    figures_help,  # noqa: F401 (registers /help/figures on bp)
    insights,  # noqa: F401 (registers /dashboard/drivers and /dashboard/themes on bp)
    invitations,  # noqa: F401 (registers /dashboard/invitations on bp)
    signals,  # noqa: F401 (registers /dashboard/signals on bp)
    weather,  # noqa: F401 (registers /weather on bp)
)
from hub.dashboards.pages import bp

__all__ = ["bp"]
