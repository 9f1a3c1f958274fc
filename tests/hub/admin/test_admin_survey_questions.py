"""/admin/surveys/<key>: the question form, on SQLite and PostgreSQL. Questions are added (kind,
text per language, required, position, a first reason), removed, moved and set (required,
faces, several reasons) with form fields, not JSON; what the page fills in is what is posted.
A refused form comes back filled as it was sent, each problem beside its question, and nothing
is stored."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

from tests.hub.conftest import rows

EDIT = "/admin/surveys/exit"


class _Form(HTMLParser):
    """The fields of one form as a browser would send them: inputs with their values,
    ticked boxes only, each select's chosen option, text areas."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, []
        self.select: str | None = None
        self.first_option: tuple[str, str] | None = None
        self.chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and a.get("method") == "post"
        elif self.inside and tag == "input" and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif self.inside and tag == "select":
            self.select, self.first_option, self.chosen = a["name"], None, False
        elif self.inside and tag == "option" and self.select:
            self.first_option = self.first_option or (self.select, a.get("value", ""))
            if "selected" in a:
                self.fields.append((self.select, a.get("value", "")))
                self.chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.chosen and self.first_option:
                self.fields.append(self.first_option)
            self.select = None


def filled(page: str, action: str = EDIT) -> list[tuple[str, str]]:
    parser = _Form(action)
    parser.feed(page)
    return parser.fields


def changed(fields: list[tuple[str, str]], **values: str) -> dict[str, Any]:
    """The form as a dict of lists, with ``values`` (dots written as __) set or added."""
    form: dict[str, Any] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    for name, value in values.items():
        form[name.replace("__", ".")] = [value]
    return form


def current(app: Any) -> tuple[int, dict[str, Any]]:
    [(version, text)] = rows(
        app,
        "SELECT v.version, v.definition FROM survey_version v JOIN survey s ON s.id = v.survey_id "
        "WHERE s.key = 'exit' AND v.version = s.current_version",
    )
    return version, json.loads(text)


def test_the_page_fills_in_every_question_as_form_fields(admin: Any, people: Any) -> None:
    fields = dict(filled(admin.text(EDIT)))
    assert [name for name, _ in filled(admin.text(EDIT)) if name == "questions"] == ["questions"] * 4
    assert fields["position.rating"] == "1" and fields["required.rating"] == "1"
    assert fields["faces.rating"] in ("4", "5") and fields["optid.reason.0"] == "queue"
    assert "newq.id" in fields and fields["newq.kind"] == "smiley"


def test_posting_the_form_unchanged_makes_no_version(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post(EDIT, changed(filled(admin.text(EDIT))))
    assert answer.status_code == 400 and "nothing changed" in answer.get_data(as_text=True)
    assert current(app)[0] == 1


def test_a_question_is_added_with_its_first_reason_where_it_is_placed(admin: Any, app: Any, people: Any) -> None:
    form = changed(
        filled(admin.text(EDIT)),
        newq__id="visit_again",
        newq__kind="choice",
        newq__position="2",
        newq__required="1",
        newq__text__de="Kommen Sie wieder?",
        newq__text__en="Will you come again?",
        newq__option__id="yes",
        newq__option__de="Ja",
        newq__option__en="Yes",
    )
    answer = admin.post(EDIT, form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    version, definition = current(app)
    assert version == 2
    assert [q["id"] for q in definition["questions"]] == ["rating", "visit_again", "reason", "nps", "comment"]
    added = definition["questions"][1]
    assert added == {
        "id": "visit_again",
        "kind": "choice",
        "text": {"de": "Kommen Sie wieder?", "en": "Will you come again?"},
        "required": True,
        "options": [{"id": "yes", "text": {"de": "Ja", "en": "Yes"}}],
    }


def test_questions_are_moved_removed_and_set(admin: Any, app: Any, people: Any) -> None:
    _, before = current(app)
    form = changed(
        filled(admin.text(EDIT)),
        position__comment="1",
        drop__nps="1",
        faces__rating="4",
        multiple__reason="1",
    )
    form.pop("required.rating")  # unticked
    assert admin.post(EDIT, form).status_code == 302
    _, after = current(app)
    assert [q["id"] for q in after["questions"]] == ["comment", "rating", "reason"]
    rating = after["questions"][1]
    assert rating["faces"] == 4 and not rating.get("required")
    assert after["questions"][2]["multiple"] is True
    assert after["questions"][2]["options"] == next(q for q in before["questions"] if q["id"] == "reason")["options"]


def test_a_refused_form_comes_back_filled_with_each_problem_beside_its_question(
    admin: Any, app: Any, people: Any
) -> None:
    form = changed(
        filled(admin.text(EDIT)),
        text__rating__en="How was it, really?",
        newq__id="Bad Id",
        newq__kind="text",
        newq__text__de="Noch etwas?",
    )
    answer = admin.post(EDIT, form)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert current(app)[0] == 1  # nothing stored
    again = dict(filled(page))
    assert again["text.rating.en"] == "How was it, really?"  # the edit is kept
    assert again["text.Bad Id.de"] == "Noch etwas?" and again["kind.Bad Id"] == "text"
    beside = page[page.index('id="question-Bad Id"') : page.index("</fieldset>", page.index('id="question-Bad Id"'))]
    assert "id must be 1-40 lower-case letters" in beside and "no en text" in beside
    rating = page[page.index('id="question-rating"') : page.index("</fieldset>", page.index('id="question-rating"'))]
    assert 'class="problems"' not in rating

    fixed = changed(filled(page))  # sent again without the new question: the rest is saved
    fixed["questions"] = [q for q in fixed["questions"] if q != "Bad Id"]
    assert admin.post(EDIT, fixed).status_code == 302
    assert current(app)[1]["questions"][0]["text"]["en"] == "How was it, really?"


def test_a_choice_question_without_a_reason_is_refused_beside_it(admin: Any, app: Any, people: Any) -> None:
    form = changed(
        filled(admin.text(EDIT)), newq__id="why", newq__kind="choice", newq__text__de="Warum?", newq__text__en="Why?"
    )
    page = admin.post(EDIT, form).get_data(as_text=True)
    beside = page[page.index('id="question-why"') : page.index("</fieldset>", page.index('id="question-why"'))]
    assert "a choice needs at least one option" in beside
    assert current(app)[0] == 1


def test_the_form_needs_its_csrf_token(admin: Any, app: Any, people: Any) -> None:
    form = changed(filled(admin.text(EDIT)), newq__id="extra", newq__kind="text")
    answer = admin.client.post(EDIT, data={k: v for k, v in form.items() if k != "csrf_token"})
    assert answer.status_code in (400, 403)
    assert current(app)[0] == 1


def test_languages_left_empty_are_refused_beside_the_field_and_no_text_is_lost(
    admin: Any, app: Any, people: Any
) -> None:
    form = changed(filled(admin.text(EDIT)), languages=" ", text__rating__de="Wie war es heute?")
    answer = admin.post(EDIT, form)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    field = page[page.index('id="s-languages"') : page.index("</div>", page.index('id="s-languages"'))]
    assert 'aria-describedby="problems-languages"' in field and "a list of language codes" in field
    again = dict(filled(page))
    assert again["text.rating.de"] == "Wie war es heute?" and again["languages"] == " "
    assert current(app)[0] == 1


def test_a_new_survey_is_added_with_a_form_and_its_questions_are_then_edited(admin: Any, app: Any, people: Any) -> None:
    form = changed(filled(admin.text("/admin/surveys"), "/admin/surveys"), key="till", name="At the till")
    form.pop("definition", None)  # the experts' JSON form is another form
    answer = admin.post("/admin/surveys", form)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/surveys/till")
    [(text,)] = rows(
        app, "SELECT v.definition FROM survey_version v JOIN survey s ON s.id = v.survey_id WHERE s.key = 'till'"
    )
    assert json.loads(text)["name"] == "At the till"
    assert [q["id"] for q in json.loads(text)["questions"]] == [q["id"] for q in current(app)[1]["questions"]]
    assert 'name="newq.id"' in admin.text("/admin/surveys/till")


def test_a_new_survey_with_a_bad_or_taken_key_is_refused_beside_the_key(admin: Any, app: Any, people: Any) -> None:
    for key, why in (("Till Survey", "lower-case letters"), ("exit", "exists already")):
        answer = admin.post("/admin/surveys", {"from": "form", "key": key, "name": "Kept name"})
        assert answer.status_code == 400
        page = answer.get_data(as_text=True)
        field = page[page.index('id="new-key"') : page.index("</div>", page.index('id="new-key"'))]
        assert why in field and 'aria-invalid="true"' in field
        assert f'value="{key}"' in field and 'value="Kept name"' in page
    assert rows(app, "SELECT COUNT(*) FROM survey") == [(1,)]
