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


def edited(current: Mapping[str, Any], form: Mapping[str, str], languages: list[str]) -> dict[str, Any]:
    """``current`` with the form's changes: the name, the languages, every question's text per
    language, option texts, options ticked for removal dropped, one new option per choice
    question. Fields are named ``text.<question>.<lang>``, ``option.<question>.<n>.<lang>``,
    ``remove.<question>.<n>``, ``new.<question>.id`` and ``new.<question>.<lang>``."""
    definition = copy.deepcopy(dict(current))
    definition["name"] = (form.get("name") or definition.get("name", "")).strip()
    definition["languages"] = languages
    for question in definition.get("questions", []):
        qid = question.get("id")
        question["text"] = _texts_from(form, f"text.{qid}", languages)
        if question.get("kind") != "choice":
            continue
        kept = []
        for index, option in enumerate(question.get("options", [])):
            if form.get(f"remove.{qid}.{index}"):
                continue
            option["text"] = _texts_from(form, f"option.{qid}.{index}", languages)
            kept.append(option)
        new_id = (form.get(f"new.{qid}.id") or "").strip()
        if new_id:
            kept.append({"id": new_id, "text": _texts_from(form, f"new.{qid}", languages)})
        question["options"] = kept
    return definition


def _texts_from(form: Mapping[str, str], prefix: str, languages: list[str]) -> dict[str, str]:
    return {lang: (form.get(f"{prefix}.{lang}") or "").strip() for lang in languages}


def problems(definition: Any) -> list[str]:
    """Every problem of a survey definition, in words an admin can act on; empty if it is
    usable (and then shared.protocol.SurveyDefinition reads it too)."""
    if not isinstance(definition, Mapping):
        return [gettext("the definition must be a JSON object with key, name, languages and questions")]
    found: list[str] = []
    add = found.append
    if not isinstance(definition.get("key"), str) or not _ID.match(definition.get("key") or ""):
        add(gettext("key: 1-40 lower-case letters, digits or _"))
    if not isinstance(definition.get("name"), str) or not definition.get("name", "").strip():
        add(gettext("name: the survey needs a name"))
    languages = definition.get("languages")
    codes = isinstance(languages, list) and all(isinstance(x, str) and _LANGUAGE.match(x) for x in languages)
    if not languages or not codes:
        add(gettext('languages: a list of language codes such as ["de", "en"]'))
        languages = []
    elif len(set(languages)) != len(languages):
        add(gettext("languages: a language is listed twice"))
    questions = definition.get("questions")
    if not isinstance(questions, list) or not questions:
        add(gettext("questions: a survey needs at least one question"))
        questions = []
    seen: set[str] = set()
    for number, question in enumerate(questions, 1):
        found += _question_problems(question, number, languages, seen)
    if not found:
        try:
            SurveyDefinition.from_dict({**definition, "version": definition.get("version", 1)})
        except ValueError as error:
            add(str(error))
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
