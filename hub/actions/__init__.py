"""Action pages for people: the list (HQ's progress: overdue, done, effect pending), a new
action (by hand, or from a reason on the drivers page, a signal or a case), an action (its
goal, tasks, comments, audit trail, linked cases, and its effect with the trend beside
comparable stores), and the CSV export. Phone-first, like the case pages. Views parse, call
hub/services/actions.py and action_effects.py, and render hub/templates/actions/."""

from hub.actions.pages import bp

__all__ = ["bp"]
