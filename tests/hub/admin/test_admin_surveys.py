"""/admin/surveys: a survey shown as its questions, reasons and translations; the translation
form and the JSON editor each make a new version (never rewriting one in use), and every
problem of a broken definition is listed."""

from __future__ import annotations

import json
from typing import Any

from tests.hub.conftest import rows


def _versions(app: Any) -> dict[int, dict[str, Any]]:
    found = rows(
        app,
        "SELECT v.version, v.definition FROM survey_version v JOIN survey s ON s.id = v.survey_id "
        "WHERE s.key = 'exit' ORDER BY v.version",
    )
    return {version: json.loads(text) for version, text in found}


def _form(definition: dict[str, Any]) -> dict[str, Any]:
    """The translation form as the page fills it for ``definition``."""
    data: dict[str, Any] = {"name": definition["name"], "languages": ", ".join(definition["languages"])}
    for q in definition["questions"]:
        for lang in definition["languages"]:
            data[f"text.{q['id']}.{lang}"] = q["text"][lang]
        for n, o in enumerate(q.get("options", [])):
            for lang in definition["languages"]:
                data[f"option.{q['id']}.{n}.{lang}"] = o["text"][lang]
    return data


def test_the_current_version_is_shown_as_questions_reasons_and_translations(admin: Any, people: Any) -> None:
    page = admin.text("/admin/surveys/exit")
    for text in (
        "Wie war Ihr Einkauf heute?",
        "How was your visit today?",
        "Wartezeit an der Kasse",
        "Waiting at the till",
    ):
        assert text in page
    assert 'data-option="queue"' in page and "Version 1 (current)" in page
    assert "exit" in admin.text("/admin/surveys")


def test_the_form_renames_adds_and_removes_reasons_as_a_new_version(admin: Any, app: Any, people: Any) -> None:
    v1 = _versions(app)[1]
    data = _form(v1)
    data["option.reason.0.en"] = "Queue at the till"  # rename "queue"
    data["remove.reason.4"] = "1"  # drop "price"
    data.update({"new.reason.id": "parking", "new.reason.de": "Parkplatz", "new.reason.en": "Parking"})
    data["text.rating.en"] = "How was it today?"
    answer = admin.post("/admin/surveys/exit", data)
    assert answer.status_code == 302
    versions = _versions(app)
    assert versions[1] == v1  # the version in use is never rewritten
    reasons = {o["id"]: o["text"] for o in versions[2]["questions"][1]["options"]}
    assert set(reasons) == {"queue", "staff", "stock", "cleanliness", "parking"}
    assert reasons["queue"]["en"] == "Queue at the till" and reasons["parking"] == {"de": "Parkplatz", "en": "Parking"}
    assert versions[2]["questions"][0]["text"]["en"] == "How was it today?"
    assert rows(app, "SELECT current_version FROM survey WHERE key = 'exit'") == [(2,)]


def test_an_unchanged_form_makes_no_version(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post("/admin/surveys/exit", _form(_versions(app)[1]))
    assert list(_versions(app)) == [1]
    assert answer.status_code == 400 and "nothing changed" in answer.get_data(as_text=True)


def test_a_new_language_needs_every_text_and_each_missing_one_is_named(admin: Any, app: Any, people: Any) -> None:
    data = {**_form(_versions(app)[1]), "languages": "de, en, fr", "text.rating.fr": "Comment était votre visite ?"}
    answer = admin.post("/admin/surveys/exit", data)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "question &#39;reason&#39;: no fr text" in page and "option &#39;queue&#39;: no fr text" in page
    assert "question &#39;rating&#39;: no fr text" not in page
    assert list(_versions(app)) == [1]


def test_the_json_editor_previews_without_saving_then_saves_a_version(admin: Any, app: Any, people: Any) -> None:
    definition = {k: v for k, v in _versions(app)[1].items() if k != "version"}
    definition["questions"][0]["faces"] = 5
    text = json.dumps(definition)
    preview = admin.post("/admin/surveys/exit/json", {"definition": text, "action": "preview"})
    assert preview.status_code == 200 and "Preview (not saved)" in preview.get_data(as_text=True)
    assert "(5 faces)" in preview.get_data(as_text=True)
    assert list(_versions(app)) == [1]
    assert admin.post("/admin/surveys/exit/json", {"definition": text, "action": "save"}).status_code == 302
    assert _versions(app)[2]["questions"][0]["faces"] == 5


def test_the_json_editor_lists_every_problem(admin: Any, app: Any, people: Any) -> None:
    broken = {
        "key": "exit",
        "name": "",
        "languages": ["de"],
        "questions": [
            {"id": "rating", "kind": "smiley", "faces": 7, "text": {"de": "Wie?"}},
            {"id": "rating", "kind": "stars", "text": {}},
            {"id": "why", "kind": "choice", "text": {"de": "Warum?"}, "options": []},
        ],
    }
    page = admin.post("/admin/surveys/exit/json", {"definition": json.dumps(broken), "action": "save"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    for problem in (
        "name: the survey needs a name",
        "a smiley has 4 or 5 faces",
        "the id is used twice",
        "kind must be one of",
        "no de text",
        "a choice needs at least one option",
    ):
        assert problem in text, problem
    bad_json = admin.post("/admin/surveys/exit/json", {"definition": '{"key": "exit",', "action": "preview"})
    assert "not valid JSON" in bad_json.get_data(as_text=True)
    assert list(_versions(app)) == [1]


def test_a_new_survey_is_added_from_json(admin: Any, app: Any, people: Any) -> None:
    definition = {
        "key": "checkout",
        "name": "Checkout <b>quick</b>",
        "languages": ["en"],
        "questions": [{"id": "csat", "kind": "csat", "required": True, "text": {"en": "How was paying?"}}],
    }
    answer = admin.post("/admin/surveys", {"definition": json.dumps(definition), "action": "save"})
    assert answer.status_code == 302
    assert rows(app, "SELECT name, current_version FROM survey WHERE key = 'checkout'") == [
        ("Checkout <b>quick</b>", 1)
    ]
    assert "Checkout &lt;b&gt;quick&lt;/b&gt;" in admin.text("/admin/surveys")


def test_reason_texts_with_markup_are_escaped(admin: Any, app: Any, people: Any) -> None:
    evil = "<script>alert('reason')</script>"
    data = {**_form(_versions(app)[1]), "option.reason.0.en": evil}
    assert admin.post("/admin/surveys/exit", data).status_code == 302
    for page in ("/admin/surveys/exit", "/admin/surveys/exit?version=2"):
        text = admin.text(page)
        assert evil not in text and "&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;" in text
