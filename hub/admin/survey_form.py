"""Surveys as the admin pages edit them: a definition changed by the translation form, and
every problem of a definition listed at once (the protocol's own check stops at the first).

Nothing here touches the database or Flask. Question and option ids never change in the
form: stored answers name them, so a "rename" changes an option's texts, not its id.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from hub.i18n import gettext
from shared.protocol import KINDS, SurveyDefinition

_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def languages_from(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))


def edited(current: Mapping[str, Any], form: Any, languages: list[str]) -> dict[str, Any]:
    """``current`` with the form's changes: the name, the languages, the questions in the
    form's order (``questions``, one field per question; ``position.<q>`` moves one, ``drop.<q>``
    removes it), each question's text per language, whether it is required, a smiley's faces,
    whether a choice takes several reasons, its reasons (texts, ``remove.<q>.<n>``, one new
    one per question) and one new question (``newq.*``). Fields are named ``text.<q>.<lang>``,
    ``required.<q>``, ``faces.<q>``, ``multiple.<q>``, ``optid.<q>.<n>``,
    ``option.<q>.<n>.<lang>``, ``new.<q>.id`` and ``new.<q>.<lang>``. A form without
    ``questions`` (the translation fields only) keeps the stored questions' order and settings.
    ``form`` is a werkzeug MultiDict (``getlist``)."""
    definition = copy.deepcopy(dict(current))
    definition["name"] = (form.get("name") or definition.get("name", "")).strip()
    definition["languages"] = languages
    stored = {q.get("id"): q for q in definition.get("questions", []) if isinstance(q, Mapping)}
    full = "questions" in form
    ids = list(dict.fromkeys(form.getlist("questions"))) if full else list(stored)
    placed = []
    for index, qid in enumerate(ids):
        if full and form.get(f"drop.{qid}"):
            continue
        question = dict(stored.get(qid) or {"id": qid, "kind": (form.get(f"kind.{qid}") or "").strip()})
        placed.append((_position(form.get(f"position.{qid}"), index + 1), _question(question, form, languages, full)))
    added = _new_question(form, languages)
    if added is not None:
        placed.append((_position(form.get("newq.position"), len(ids) + 1), added))
    definition["questions"] = [question for _, question in sorted(placed, key=lambda pair: pair[0])]
    return definition


def _position(text: str | None, default: int) -> tuple[int, int]:
    """Where a question goes: the number the form gives it; one moved up goes before the
    question that had that number, one moved down after it."""
    try:
        wanted = int((text or "").strip())
    except ValueError:
        return (default, 1)
    return (wanted, 0 if wanted < default else 2 if wanted > default else 1)


def _question(question: dict[str, Any], form: Any, languages: list[str], full: bool) -> dict[str, Any]:
    qid = question.get("id")
    question["text"] = _texts_from(form, f"text.{qid}", languages)
    kind = question.get("kind")
    if full:
        _set(question, "required", bool(form.get(f"required.{qid}")), False)
        if kind == "smiley":
            faces = (form.get(f"faces.{qid}") or "").strip()
            _set(question, "faces", int(faces) if faces.isdigit() else faces, 5)
        if kind == "choice":
            _set(question, "multiple", bool(form.get(f"multiple.{qid}")), False)
    if kind == "choice":
        question["options"] = _options(question, form, languages, full)
    return question


def _set(question: dict[str, Any], key: str, value: Any, default: Any) -> None:
    """A setting as the form says it, left out where it is the default and was not written."""
    if value != question.get(key, default):
        question[key] = value


def _options(question: Mapping[str, Any], form: Any, languages: list[str], full: bool) -> list[dict[str, Any]]:
    qid = question.get("id")
    known = {o.get("id"): o for o in question.get("options", []) if isinstance(o, Mapping)}
    order = _indexed(form, f"optid.{qid}") if full else list(known)
    kept = []
    for index, oid in enumerate(order):
        if form.get(f"remove.{qid}.{index}"):
            continue
        option = dict(known.get(oid) or {"id": oid})
        option["text"] = _texts_from(form, f"option.{qid}.{index}", languages)
        kept.append(option)
    new_id = (form.get(f"new.{qid}.id") or "").strip()
    if new_id:
        kept.append({"id": new_id, "text": _texts_from(form, f"new.{qid}", languages)})
    return kept


def _indexed(form: Any, prefix: str) -> list[str]:
    found = []
    while f"{prefix}.{len(found)}" in form:
        found.append((form.get(f"{prefix}.{len(found)}") or "").strip())
    return found


def _new_question(form: Any, languages: list[str]) -> dict[str, Any] | None:
    """The question the form's "New question" fields add (its first reason with it), if any."""
    qid = (form.get("newq.id") or "").strip()
    if not qid:
        return None
    question: dict[str, Any] = {
        "id": qid,
        "kind": (form.get("newq.kind") or "").strip(),
        "text": _texts_from(form, "newq.text", languages),
    }
    if form.get("newq.required"):
        question["required"] = True
    if question["kind"] == "choice":
        option = (form.get("newq.option.id") or "").strip()
        question["options"] = [{"id": option, "text": _texts_from(form, "newq.option", languages)}] if option else []
    return question


def _texts_from(form: Mapping[str, str], prefix: str, languages: list[str]) -> dict[str, str]:
    return {lang: (form.get(f"{prefix}.{lang}") or "").strip() for lang in languages}


def question_problems(definition: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each question's problems by its id (its number where it has none): shown beside it."""
    languages = definition.get("languages")
    if not isinstance(languages, list):
        languages = []
    languages = [lang for lang in languages if isinstance(lang, str)]
    questions = definition.get("questions")
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for number, question in enumerate(questions if isinstance(questions, list) else [], 1):
        qid = question.get("id") if isinstance(question, Mapping) else None
        said = _question_problems(question, number, languages, seen)
        if said:
            found.setdefault(str(qid) if isinstance(qid, str) else str(number), []).extend(said)
    return found


def problems(definition: Any) -> list[str]:
    """Every problem of a survey definition, in words an admin can act on; empty if it is
    usable (and then shared.protocol.SurveyDefinition reads it too)."""
    if not isinstance(definition, Mapping):
        return [gettext("the definition must be a JSON object with key, name, languages and questions")]
    found = [message for said in survey_problems(definition).values() for message in said]
    for said in question_problems({**definition, "languages": _languages(definition)}).values():
        found += said
    if not found:
        try:
            SurveyDefinition.from_dict({**definition, "version": definition.get("version", 1)})
        except ValueError as error:
            found.append(str(error))
    return found


def _languages(definition: Mapping[str, Any]) -> list[str]:
    """The definition's languages when they are language codes; none otherwise."""
    languages = definition.get("languages")
    codes = isinstance(languages, list) and all(isinstance(x, str) and _LANGUAGE.match(x) for x in languages)
    return list(languages) if languages and codes else []


def survey_problems(definition: Mapping[str, Any]) -> dict[str, list[str]]:
    """The problems of the survey's own fields (key, name, languages, questions) by field:
    shown beside it."""
    found: dict[str, list[str]] = {}
    if not isinstance(definition.get("key"), str) or not _ID.match(definition.get("key") or ""):
        found["key"] = [gettext("key: 1-40 lower-case letters, digits or _")]
    if not isinstance(definition.get("name"), str) or not definition.get("name", "").strip():
        found["name"] = [gettext("name: the survey needs a name")]
    languages = _languages(definition)
    if not languages:
        found["languages"] = [gettext('languages: a list of language codes such as ["de", "en"]')]
    elif len(set(languages)) != len(languages):
        found["languages"] = [gettext("languages: a language is listed twice")]
    questions = definition.get("questions")
    if not isinstance(questions, list) or not questions:
        found["questions"] = [gettext("questions: a survey needs at least one question")]
    return found


def _texts(where: str, texts: Any, languages: list[str]) -> list[str]:
    if not isinstance(texts, Mapping):
        return [gettext("%(where)s: text must be an object of language: text", where=where)]
    return [
        gettext("%(where)s: no %(language)s text", where=where, language=lang)
        for lang in languages
        if not str(texts.get(lang) or "").strip()
    ]


def _question_problems(question: Any, number: int, languages: list[str], seen: set[str]) -> list[str]:
    if not isinstance(question, Mapping):
        return [gettext("question %(number)s: must be an object", number=number)]
    qid = question.get("id")
    where = gettext("question %(id)s", id=repr(qid)) if isinstance(qid, str) else gettext("question %(id)s", id=number)
    found = []
    if not isinstance(qid, str) or not _ID.match(qid):
        found.append(gettext("%(where)s: id must be 1-40 lower-case letters, digits or _", where=where))
    elif qid in seen:
        found.append(gettext("%(where)s: the id is used twice", where=where))
    else:
        seen.add(qid)
    kind = question.get("kind")
    if kind not in KINDS:
        found.append(gettext("%(where)s: kind must be one of %(kinds)s", where=where, kinds=", ".join(sorted(KINDS))))
    if kind == "smiley" and question.get("faces", 5) not in (4, 5):
        found.append(gettext("%(where)s: a smiley has 4 or 5 faces", where=where))
    found += _texts(where, question.get("text"), languages)
    if kind == "choice":
        options = question.get("options")
        if not isinstance(options, list) or not options:
            found.append(gettext("%(where)s: a choice needs at least one option", where=where))
            options = []
        ids: set[str] = set()
        for option in options:
            oid = option.get("id") if isinstance(option, Mapping) else None
            label = gettext("%(where)s, option %(id)s", where=where, id=repr(oid))
            if not isinstance(oid, str) or not _ID.match(oid):
                found.append(gettext("%(where)s: id must be 1-40 lower-case letters, digits or _", where=label))
                continue
            if oid in ids:
                found.append(gettext("%(where)s: the id is used twice", where=label))
            ids.add(oid)
            found += _texts(label, option.get("text"), languages)
    return found
