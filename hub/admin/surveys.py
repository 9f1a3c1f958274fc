"""/admin/surveys: every survey with its versions; a version shown as its questions, reasons
and translations per language; changes through a translation form (texts, reasons added,
removed or renamed) or a JSON editor with a preview. Saving always makes a new version:
responses name the version they answered, so a version in use is never rewritten."""

from __future__ import annotations

import json
from typing import Any

from flask import redirect, render_template, request, url_for

from hub.admin import survey_form
from hub.admin.base import attempt, bp, editors, may_edit, readers
from hub.clock import now
from hub.i18n import gettext, lazy_gettext
from hub.models import Survey, SurveyVersion
from hub.services import catalog, listings

# the kinds of question a survey asks, as the question form names them (shared.protocol.KINDS)
KIND_NAMES = {
    "smiley": lazy_gettext("Faces (smiley rating)"),
    "choice": lazy_gettext("Reasons to choose"),
    "text": lazy_gettext("Free text"),
    "nps": lazy_gettext("Recommendation 0-10 (NPS)"),
    "csat": lazy_gettext("Satisfaction 1-5 (CSAT)"),
}
NEW_SURVEY = {k: v for k, v in catalog.DEFAULT_SURVEY.items() if k != "version"} | {
    "key": "new_survey",
    "name": "New survey",
}


def _without_version(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k != "version"}


def _save(definition: dict[str, Any], survey: Survey | None) -> SurveyVersion:
    """Keep a checked ``definition`` as the next version (or a new survey)."""
    if survey is not None:
        current = catalog.current_survey(survey).definition
        if _without_version(current) == _without_version(definition):
            raise ValueError("nothing changed: no new version made")
    return catalog.add_survey(definition, now())


@bp.get("/surveys")
@readers
def surveys() -> Any:
    return _render_list("", [], None)


def _render_list(
    text: str, found: list[str], preview: dict[str, Any] | None, status: int = 200, new: dict[str, Any] | None = None
) -> Any:
    rows = listings.surveys()
    versions, used = listings.survey_use(rows)
    page = render_template(
        "admin/surveys.html",
        surveys=rows,
        versions=versions,
        used=used,
        text=text or json.dumps(NEW_SURVEY, indent=2, ensure_ascii=False),
        problems=found,
        preview=preview,
        new=new or {"key": "", "name": "", "problems": {}},
        may_edit=may_edit(),
    )
    return page, status


def _parsed(text: str) -> tuple[Any, list[str]]:
    try:
        definition = json.loads(text)
    except ValueError as error:
        return None, [f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"]
    return definition, survey_form.problems(definition)


@bp.post("/surveys")
@editors
def create_survey() -> Any:
    if request.form.get("from") == "form":
        return _create_from_form()
    text = request.form.get("definition", "")
    definition, found = _parsed(text)
    if found or request.form.get("action") == "preview":
        return _render_list(text, found, None if found else definition, 400 if found else 200)
    if listings.survey_exists(definition["key"]):
        return _render_list(text, [f"key: a survey {definition['key']!r} exists already"], None, 400)
    ok, _ = attempt(lambda: _save({**definition, "version": 1}, None), gettext("Survey added."))
    if not ok:
        return _render_list(text, [], None, 400)
    return redirect(url_for("admin.survey", key=definition["key"]))


def _create_from_form() -> Any:
    """A new survey named on the form, asking the standard questions; its page's question
    form changes them. A refused key or name is shown beside its field, the form filled."""
    key, name = (request.form.get("key") or "").strip(), (request.form.get("name") or "").strip()
    definition = {**NEW_SURVEY, "key": key, "name": name}
    beside = survey_form.survey_problems(definition)
    if not beside and listings.survey_exists(key):
        beside = {"key": [gettext("key: a survey %(key)s exists already", key=repr(key))]}
    if beside:
        return _render_list("", [], None, 400, new={"key": key, "name": name, "problems": beside})
    ok, _ = attempt(lambda: _save({**definition, "version": 1}, None), gettext("Survey added."))
    if not ok:
        return _render_list("", [], None, 400, new={"key": key, "name": name, "problems": {}})
    return redirect(url_for("admin.survey", key=key))


@bp.get("/surveys/<key>")
@readers
def survey(key: str) -> Any:
    row = listings.survey(key)
    number = request.args.get("version", "")
    shown = listings.survey_version(row, int(number)) if number.isdigit() else catalog.current_survey(row)
    return _render_survey(row, shown)


def _render_survey(
    row: Survey,
    shown: SurveyVersion,
    *,
    text: str | None = None,
    found: list[str] | None = None,
    preview: dict[str, Any] | None = None,
    edited: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    """The survey page; ``edited``: the form as it was sent (refused), filled in again."""
    current = catalog.current_survey(row)
    extra = survey_form.languages_from(request.args.get("add_language", ""))
    # the texts' fields: the languages sent, or the stored ones while none usable were sent
    shown_languages = (edited or {}).get("languages") or current.definition.get("languages", [])
    languages = list(dict.fromkeys([*shown_languages, *extra]))
    page = render_template(
        "admin/survey.html",
        survey=row,
        shown=shown.definition,
        shown_version=shown.version,
        current=current.definition,
        form_definition=edited or current.definition,
        stored_ids=[q.get("id") for q in current.definition.get("questions", [])],
        question_problems=survey_form.question_problems(edited) if edited else {},
        survey_problems=survey_form.survey_problems(edited) if edited else {},
        kinds=KIND_NAMES,
        languages=languages,
        languages_text=request.form.get("languages") if edited else None,
        versions=listings.survey_versions(row),
        touchpoints=listings.survey_touchpoints(row),
        text=text or json.dumps(_without_version(current.definition), indent=2, ensure_ascii=False),
        problems=found or [],
        preview=preview,
        may_edit=may_edit(),
    )
    return page, status


@bp.post("/surveys/<key>")
@editors
def edit_survey(key: str) -> Any:
    """The translation form: texts, reasons added, removed or renamed, languages."""
    row = listings.survey(key)
    current = catalog.current_survey(row)
    languages = survey_form.languages_from(request.form.get("languages", ""))
    # texts are read in the stored languages while none were sent, so none typed is lost
    definition = survey_form.edited(current.definition, request.form, languages or current.definition["languages"])
    definition["languages"] = languages
    definition["version"] = row.current_version + 1
    found = survey_form.problems(definition)
    if found:
        return _render_survey(row, current, found=found, edited=definition, status=400)
    ok, _ = attempt(
        lambda: _save(definition, row), gettext("Saved as version %(version)s.", version=definition["version"])
    )
    if not ok:
        return _render_survey(row, current, edited=definition, status=400)
    return redirect(url_for("admin.survey", key=key))


@bp.post("/surveys/<key>/json")
@editors
def edit_survey_json(key: str) -> Any:
    """The JSON editor: preview shows the definition as the form would, save makes a version."""
    row = listings.survey(key)
    current = catalog.current_survey(row)
    text = request.form.get("definition", "")
    definition, found = _parsed(text)
    if not found and definition.get("key") != key:
        found = [f"key: stays {key!r} (a new key is a new survey: add it on the surveys page)"]
    if found or request.form.get("action") == "preview":
        return _render_survey(
            row, current, text=text, found=found, preview=None if found else definition, status=400 if found else 200
        )
    version = row.current_version + 1
    ok, _ = attempt(
        lambda: _save({**definition, "version": version}, row),
        gettext("Saved as version %(version)s.", version=version),
    )
    if not ok:
        return _render_survey(row, current, text=text, status=400)
    return redirect(url_for("admin.survey", key=key))
