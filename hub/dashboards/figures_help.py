"""/help/figures, "What the figures mean": the smiley index's scale and how it is computed, the
NPS, n, the 95 % interval, what a signal's test says and the weather's bands, in the person's
language, linked from the dashboards beside those figures (``figures_help_link``). A test's
result is said in words (``signal_words``); its name and p-value stay in small print."""

from __future__ import annotations

from flask import render_template, url_for
from markupsafe import Markup

from hub.dashboards.pages import bp
from hub.i18n import gettext
from hub.services import signals
from hub.services import weather as forecasts
from shared.scoring import DETRACTOR_MAX, PROMOTER_MIN, SMILEY_PRIOR


@bp.get("/help/figures")
def figures_help() -> str:
    return render_template(
        "help/figures.html",
        detractor_max=DETRACTOR_MAX,
        promoter_min=PROMOTER_MIN,
        prior=int(SMILEY_PRIOR),
        alpha=signals.ALPHA,
        min_answers=forecasts.MIN_ANSWERS,
    )


@bp.app_template_global()
def figures_help_link(part: str = "") -> Markup:
    """A small link to the help page (at ``part``, an id on it) beside a figure."""
    href = url_for("dashboards.figures_help") + (f"#{part}" if part else "")
    return Markup('<a class="figures-help" href="{href}">{text}</a>').format(
        href=href, text=gettext("What the figures mean")
    )


@bp.app_template_global()
def signal_words(p_value: float, alpha: float) -> str:
    """A signal's test result in words: a drop below ``alpha`` is clear, one far below it very clear."""
    if p_value < alpha / 1000:
        return gettext("very clearly lower than usual")
    if p_value < alpha:
        return gettext("clearly lower than usual")
    return gettext("not clearly lower than usual")
