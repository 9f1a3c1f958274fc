"""The conversation a survey becomes on the phone: its questions in one language, the words
around them, and the plain form's fields read back into a response.

Pure: no Flask, no database. The blueprint (phone_page.py) hands in what the request said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from babel import Locale, UnknownLocaleError

from mobile_web.texts import spoken, texts
from shared.languages import FALLBACK, LANGUAGE_NAMES
from shared.protocol import PROTOCOL_VERSION, SurveyDefinition, format_time


def page_languages(store_languages: Iterable[str], survey_languages: Iterable[str]) -> list[str]:
    """The languages the page offers: the store's, where the survey and voxloop speak them."""
    survey = set(survey_languages)
    offered = [lang for lang in store_languages if lang in survey and lang in spoken()]
    return offered or [FALLBACK]


def choose_language(requested: str | None, accepted: Iterable[tuple[str, float]], offered: list[str]) -> str:
    """An explicit choice (the switch), else the best of Accept-Language, else the store's first."""
    if requested in offered:
        return requested
    for value, quality in sorted(accepted, key=lambda pair: -pair[1]):
        primary = value.split("-")[0].lower()
        if quality > 0 and primary in offered:
            return primary
    return offered[0]


def _local(text: Mapping[str, str], language: str) -> str:
    return text.get(language) or text.get(FALLBACK) or next(iter(text.values()), "")


def survey_view(definition: Mapping[str, Any], language: str, store_name: str) -> dict[str, Any]:
    """The survey as the page shows it: one language, face labels, whether to ask for contact."""
    survey = SurveyDefinition.from_dict(definition)
    words = texts(language, store_name)
    questions = []
    for q in survey.questions:
        view: dict[str, Any] = {"id": q.id, "kind": q.kind, "text": _local(q.text, language), "required": q.required}
        if q.kind == "smiley":
            view["faces"] = [{"value": i + 1, "label": label} for i, label in enumerate(words["faces"][q.faces])]
        elif q.kind == "choice":
            view["options"] = [{"id": o.id, "text": _local(o.text, language)} for o in q.options]
            view["multiple"] = q.multiple
        elif q.kind == "text":
            view["max_length"] = q.max_length
        else:
            low, high = q.value_range
            view["scale"] = list(range(low, high + 1))
        questions.append(view)
    return {
        "key": survey.key,
        "version": survey.version,
        "questions": questions,
        "ask_contact": bool(definition.get("ask_contact", True)),
    }


def language_links(offered: list[str], current: str) -> list[dict[str, Any]]:
    return [
        {"code": lang, "name": language_name(lang), "current": lang == current, "href": f"?lang={lang}"}
        for lang in offered
    ]


def language_name(language: str) -> str:
    """A language named in itself ("Deutsch", "Français"), for the language switch."""
    if language in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[language]
    try:
        name = Locale.parse(language).get_display_name(language)
    except (ValueError, UnknownLocaleError):
        return language
    return (name or language)[:1].upper() + (name or language)[1:]


def response_from_form(
    form: Mapping[str, Any],
    survey: Mapping[str, Any],
    *,
    response_id: str,
    store: str,
    touchpoint: str,
    language: str,
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    """The plain form's fields as a complete phone response, and what the person must fix
    (keys into the page's words). ``form`` is a werkzeug MultiDict (``getlist``)."""
    answers = []
    errors = []
    for q in survey["questions"]:
        name = f"q.{q['id']}"
        if q["kind"] == "choice":
            chosen = [v for v in form.getlist(name) if v]
            if chosen:
                answers.append({"question": q["id"], "kind": "choice", "value": chosen})
        elif q["kind"] == "text":
            text = (form.get(name) or "").strip()
            if text:
                answers.append({"question": q["id"], "kind": "text", "value": text})
        else:
            raw = form.get(name)
            if raw not in (None, ""):
                try:
                    answers.append({"question": q["id"], "kind": q["kind"], "value": int(raw)})
                except ValueError:
                    errors.append("rating_needed")
        if q.get("required") and not any(a["question"] == q["id"] for a in answers):
            errors.append("rating_needed")
    item: dict[str, Any] = {
        "id": response_id,
        "v": PROTOCOL_VERSION,
        "channel": "qr",
        "store": store,
        "touchpoint": touchpoint,
        "survey": survey["key"],
        "survey_version": survey["version"],
        "captured_at": format_time(now),
        "locale": language,
        "answers": answers,
    }
    address = (form.get("contact_address") or "").strip()
    if address and survey.get("ask_contact"):
        if form.get("contact_consent") != "yes":
            errors.append("consent_needed")
        else:
            item["contact"] = {"address": address, "consent": True}
    return item, sorted(set(errors))


def summary(survey: Mapping[str, Any], item: Mapping[str, Any]) -> list[dict[str, str]]:
    """Question -> answer in words, for the thank-you page (escaped by the template)."""
    given = {a["question"]: a["value"] for a in item.get("answers", [])}
    lines = []
    for q in survey["questions"]:
        if q["id"] not in given:
            continue
        value = given[q["id"]]
        if q["kind"] == "smiley":
            words = next((f["label"] for f in q["faces"] if f["value"] == value), str(value))
        elif q["kind"] == "choice":
            names = {o["id"]: o["text"] for o in q["options"]}
            words = ", ".join(names.get(v, v) for v in value)
        else:
            words = str(value)
        lines.append({"question": q["text"], "answer": words})
    return lines
