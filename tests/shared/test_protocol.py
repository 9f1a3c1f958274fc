"""The wire protocol: surveys, response validation, batches and timestamps."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import CODES, RequestError
from shared.ids import uuid7
from shared.protocol import (
    MAX_BATCH_ITEMS,
    MAX_COMMENT_LENGTH,
    AnswerRow,
    Heartbeat,
    SurveyDefinition,
    ValidResponse,
    canonical_json,
    content_hash,
    format_time,
    make_batch,
    parse_time,
    read_batch,
    validate_response,
)

CAPTURED = datetime(2026, 11, 23, 9, 15, 2, 120_000, tzinfo=UTC)

SURVEY_DATA = {
    "key": "exit",
    "version": 3,
    "languages": ["de", "en"],
    "questions": [
        {
            "id": "rating",
            "kind": "smiley",
            "faces": 4,
            "required": True,
            "text": {"de": "Wie war Ihr Einkauf?", "en": "How was your visit?"},
        },
        {
            "id": "reason",
            "kind": "choice",
            "multiple": True,
            "text": {"de": "Warum?", "en": "Why?"},
            "options": [
                {"id": "queue", "text": {"de": "Warteschlange", "en": "Queue"}},
                {"id": "staff", "text": {"de": "Personal", "en": "Staff"}},
                {"id": "price", "text": {"de": "Preis", "en": "Price"}},
            ],
        },
        {"id": "recommend", "kind": "nps", "text": {"en": "Would you recommend us?"}},
        {"id": "satisfied", "kind": "csat", "text": {"en": "How satisfied are you?"}},
        {"id": "comment", "kind": "text", "max_length": 500, "text": {"en": "Anything else?"}},
        # a single choice, for too_many_options
        {
            "id": "area",
            "kind": "choice",
            "text": {"en": "Which area?"},
            "options": [{"id": "food"}, {"id": "fashion"}],
        },
    ],
}


@pytest.fixture(scope="module")
def survey() -> SurveyDefinition:
    return SurveyDefinition.from_dict(SURVEY_DATA)


@pytest.fixture(scope="module")
def lookup(survey):
    def find(key: str, version: int) -> SurveyDefinition | None:
        return survey if (key, version) == ("exit", 3) else None

    return find


def kiosk_response(**changes) -> dict:
    """A valid terminal response; keyword arguments replace fields (``None`` removes one)."""
    item = {
        "id": uuid7(CAPTURED, bytes(range(10))),
        "v": 1,
        "channel": "kiosk",
        "store": "B001",
        "touchpoint": "exit",
        "survey": "exit",
        "survey_version": 3,
        "captured_at": "2026-11-23T09:15:02.120Z",
        "locale": "de",
        "seq": 42,
        "answers": [
            {"question": "rating", "kind": "smiley", "value": 1},
            {"question": "reason", "kind": "choice", "value": ["queue", "staff"]},
            {"question": "recommend", "kind": "nps", "value": 9},
            {"question": "satisfied", "kind": "csat", "value": 4},
            {"question": "comment", "kind": "text", "value": "Zu lange gewartet"},
        ],
    }
    for name, value in changes.items():
        if value is None:
            item.pop(name, None)
        else:
            item[name] = value
    return item


def with_answer(question: str, kind: str, value) -> dict:
    """The valid response with the answer to ``question`` replaced (or added)."""
    answers = [a for a in kiosk_response()["answers"] if a["question"] != question]
    return kiosk_response(answers=[*answers, {"question": question, "kind": kind, "value": value}])


def problems(item, lookup) -> list[tuple[str, str]]:
    response, found = validate_response(item, lookup)
    if found:
        assert response is None
    return [(p.code, p.path) for p in found]


def codes(item, lookup) -> list[str]:
    return [code for code, _ in problems(item, lookup)]


def path_of_answer(item: dict, question: str) -> str:
    index = next(i for i, a in enumerate(item["answers"]) if a["question"] == question)
    return f"answers[{index}]"


# --- the fixture itself --------------------------------------------------------------------


def test_the_fixture_response_is_valid(lookup):
    response, found = validate_response(kiosk_response(), lookup)
    assert found == []
    assert isinstance(response, ValidResponse)


# --- surveys -------------------------------------------------------------------------------


def test_survey_from_dict_reads_questions_in_order(survey):
    assert survey.key == "exit"
    assert survey.version == 3
    assert [q.id for q in survey.questions] == ["rating", "reason", "recommend", "satisfied", "comment", "area"]
    assert survey.by_id["comment"] is survey.questions[4]


def test_survey_from_dict_reads_each_question_kind_and_setting(survey):
    rating, reason, recommend, satisfied, comment, area = survey.questions
    assert (rating.kind, rating.faces, rating.required) == ("smiley", 4, True)
    assert (reason.kind, reason.multiple) == ("choice", True)
    assert [o.id for o in reason.options] == ["queue", "staff", "price"]
    assert reason.options[0].text == {"de": "Warteschlange", "en": "Queue"}
    assert (recommend.kind, recommend.required) == ("nps", False)
    assert satisfied.kind == "csat"
    assert (comment.kind, comment.max_length) == ("text", 500)
    assert area.multiple is False


def test_survey_value_ranges_follow_the_kind(survey):
    assert survey.by_id["rating"].value_range == (1, 4)
    assert survey.by_id["recommend"].value_range == (0, 10)
    assert survey.by_id["satisfied"].value_range == (1, 5)


def test_survey_from_dict_defaults_faces_languages_and_limits():
    survey = SurveyDefinition.from_dict(
        {"key": "k", "version": 1, "questions": [{"id": "r", "kind": "smiley"}, {"id": "c", "kind": "text"}]}
    )
    assert survey.by_id["r"].faces == 5
    assert survey.by_id["r"].required is False
    assert survey.by_id["c"].max_length == MAX_COMMENT_LENGTH
    assert survey.languages == ("de", "en")


def test_survey_from_dict_caps_max_length_at_the_protocol_limit():
    survey = SurveyDefinition.from_dict(
        {"key": "k", "version": 1, "questions": [{"id": "c", "kind": "text", "max_length": 10_000}]}
    )
    assert survey.by_id["c"].max_length == MAX_COMMENT_LENGTH


def test_survey_from_dict_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind 'stars'"):
        SurveyDefinition.from_dict({"key": "k", "version": 1, "questions": [{"id": "q", "kind": "stars"}]})


@pytest.mark.parametrize("faces", [3, 6])
def test_survey_from_dict_rejects_a_smiley_with_other_than_4_or_5_faces(faces):
    with pytest.raises(ValueError, match="4 or 5 faces"):
        SurveyDefinition.from_dict(
            {"key": "k", "version": 1, "questions": [{"id": "q", "kind": "smiley", "faces": faces}]}
        )


@pytest.mark.parametrize("options", [None, []], ids=["absent", "empty"])
def test_survey_from_dict_rejects_a_choice_without_options(options):
    question = {"id": "q", "kind": "choice"}
    if options is not None:
        question["options"] = options
    with pytest.raises(ValueError, match="needs options"):
        SurveyDefinition.from_dict({"key": "k", "version": 1, "questions": [question]})


def test_survey_from_dict_rejects_duplicate_question_ids():
    with pytest.raises(ValueError, match="unique"):
        SurveyDefinition.from_dict(
            {"key": "k", "version": 1, "questions": [{"id": "q", "kind": "nps"}, {"id": "q", "kind": "csat"}]}
        )


@pytest.mark.parametrize(
    "data",
    [
        {"version": 1, "questions": []},
        {"key": "k", "questions": []},
        {"key": "k", "version": 1},
        {"key": "k", "version": "three", "questions": []},
    ],
    ids=["no-key", "no-version", "no-questions", "version-not-a-number"],
)
def test_survey_from_dict_rejects_a_missing_key_version_or_questions(data):
    with pytest.raises(ValueError, match="key, version and questions"):
        SurveyDefinition.from_dict(data)


# --- a valid response, normalised ------------------------------------------------------------


def test_valid_response_keeps_its_envelope(lookup):
    response, _ = validate_response(kiosk_response(), lookup)
    assert response.id == kiosk_response()["id"]
    assert (response.channel, response.store, response.touchpoint) == ("kiosk", "B001", "exit")
    assert (response.survey, response.survey_version) == ("exit", 3)
    assert (response.locale, response.seq) == ("de", 42)
    assert response.contact is None
    assert response.flags == ()


def test_a_content_key_gives_the_keyed_hash_the_hub_stores(lookup):
    from shared.crypto import keyed_content_hash

    plain, _ = validate_response(kiosk_response(), lookup)
    keyed, _ = validate_response(kiosk_response(), lookup, b"k" * 32)
    other, _ = validate_response(kiosk_response(), lookup, b"o" * 32)
    assert plain.content_hash == hashlib.sha256(canonical_json(kiosk_response())).hexdigest()
    assert keyed.content_hash == keyed_content_hash(b"k" * 32, plain.content_hash)
    assert len({plain.content_hash, keyed.content_hash, other.content_hash}) == 3
    assert keyed.answers == plain.answers and keyed.id == plain.id


def test_valid_response_has_captured_at_as_aware_utc(lookup):
    response, _ = validate_response(kiosk_response(), lookup)
    assert response.captured_at == CAPTURED
    assert response.captured_at.utcoffset() == timedelta(0)


def test_valid_response_converts_an_offset_to_utc(lookup):
    response, _ = validate_response(kiosk_response(captured_at="2026-11-23T10:15:02.120+01:00"), lookup)
    assert response.captured_at == CAPTURED
    assert response.captured_at.tzinfo == UTC


def test_valid_response_gives_one_answer_row_per_value(lookup):
    response, _ = validate_response(kiosk_response(), lookup)
    assert response.answers == (
        AnswerRow("rating", "smiley", 1, None),
        AnswerRow("reason", "choice", None, "queue"),
        AnswerRow("reason", "choice", None, "staff"),
        AnswerRow("recommend", "nps", 9, None),
        AnswerRow("satisfied", "csat", 4, None),
        AnswerRow("comment", "text", None, "Zu lange gewartet"),
    )


def test_multiple_choice_gives_one_row_per_option(lookup):
    response, _ = validate_response(with_answer("reason", "choice", ["price", "queue", "staff"]), lookup)
    assert [row.text for row in response.answers if row.question == "reason"] == ["price", "queue", "staff"]


def test_multiple_choice_naming_an_option_twice_gives_one_row(lookup):
    response, _ = validate_response(with_answer("reason", "choice", ["queue", "queue"]), lookup)
    assert [row.text for row in response.answers if row.question == "reason"] == ["queue"]


def test_single_choice_with_one_option_gives_one_row(lookup):
    response, _ = validate_response(with_answer("area", "choice", ["food"]), lookup)
    assert AnswerRow("area", "choice", None, "food") in response.answers


def test_flags_are_sorted_and_deduplicated(lookup):
    response, found = validate_response(kiosk_response(flags=["suspect", "clock_skew", "suspect"]), lookup)
    assert found == []
    assert response.flags == ("clock_skew", "suspect")


def test_a_consented_contact_is_kept(lookup):
    contact = {"address": "kunde@example.org", "consent": True}
    response, found = validate_response(kiosk_response(contact=contact), lookup)
    assert found == []
    assert response.contact == contact


def test_a_phone_response_without_seq_is_valid(lookup):
    response, found = validate_response(kiosk_response(channel="qr", seq=None), lookup)
    assert found == []
    assert (response.channel, response.seq) == ("qr", None)


def test_locale_defaults_to_und(lookup):
    response, found = validate_response(kiosk_response(locale=None), lookup)
    assert found == []
    assert response.locale == "und"


@pytest.mark.parametrize("locale", ["de", "en-GB", "gsw", "zh-Hant-TW", "und"])
def test_language_tags_are_accepted_as_locale(lookup, locale):
    assert codes(kiosk_response(locale=locale), lookup) == []


@pytest.mark.parametrize(
    ("question", "kind", "value"),
    [
        ("rating", "smiley", 4),
        ("recommend", "nps", 0),
        ("recommend", "nps", 10),
        ("satisfied", "csat", 1),
        ("satisfied", "csat", 5),
        ("comment", "text", "x" * 500),
        ("comment", "text", ""),
    ],
    ids=["smiley-top-face", "nps-0", "nps-10", "csat-1", "csat-5", "comment-at-limit", "comment-empty"],
)
def test_values_at_the_edge_of_their_range_are_accepted(lookup, question, kind, value):
    assert codes(with_answer(question, kind, value), lookup) == []


def test_unknown_top_level_fields_do_not_make_a_response_invalid(lookup):
    assert codes(kiosk_response(app="1.4.0"), lookup) == []


# --- content hash ---------------------------------------------------------------------------


def test_content_hash_is_the_sha256_of_the_canonical_json(lookup):
    item = kiosk_response()
    response, _ = validate_response(item, lookup)
    expected = hashlib.sha256(
        json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    assert response.content_hash == expected == content_hash(item)


def test_content_hash_is_stable_across_calls(lookup):
    first, _ = validate_response(kiosk_response(), lookup)
    second, _ = validate_response(kiosk_response(), lookup)
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64


def test_content_hash_is_equal_for_reordered_keys(lookup):
    item = kiosk_response()
    reordered = {key: item[key] for key in reversed(list(item))}
    reordered["answers"] = [{key: a[key] for key in reversed(list(a))} for a in item["answers"]]
    assert list(reordered) != list(item)
    first, _ = validate_response(item, lookup)
    second, _ = validate_response(reordered, lookup)
    assert first.content_hash == second.content_hash


@pytest.mark.parametrize(
    "change",
    [
        {"answers": with_answer("comment", "text", "Zu lange gewartet!")["answers"]},
        {"seq": 43},
        {"captured_at": "2026-11-23T09:15:02.121Z"},
        {"flags": ["suspect"]},
    ],
    ids=["comment", "seq", "captured_at", "flags"],
)
def test_content_hash_differs_for_changed_content(lookup, change):
    original, _ = validate_response(kiosk_response(), lookup)
    changed, found = validate_response(kiosk_response(**change), lookup)
    assert found == []
    assert changed.content_hash != original.content_hash


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_utf8():
    assert canonical_json({"b": [1, 2], "a": "Grüße"}) == '{"a":"Grüße","b":[1,2]}'.encode()


# --- every item problem ----------------------------------------------------------------------


@pytest.mark.parametrize("item", [[], "response", None, 42], ids=["list", "string", "null", "number"])
def test_an_item_that_is_not_an_object_is_not_an_object(lookup, item):
    assert codes(item, lookup) == ["not_an_object"]


@pytest.mark.parametrize(
    "response_id",
    [None, "not-a-uuid", "0190A4B2-6F3E-7C21-9A5B-3C4D5E6F7A8B", "0190a4b26f3e7c219a5b3c4d5e6f7a8b", 12345],
    ids=["missing", "garbage", "upper-case", "no-hyphens", "number"],
)
def test_an_id_that_is_not_a_canonical_uuid_is_bad_id(lookup, response_id):
    assert problems(kiosk_response(id=response_id), lookup) == [("bad_id", "id")]


@pytest.mark.parametrize(
    "version", [None, 2, 0, "1", [1], {"v": 1}], ids=["missing", "2", "0", "string", "list", "dict"]
)
def test_a_protocol_version_other_than_1_is_unsupported(lookup, version):
    assert problems(kiosk_response(v=version), lookup) == [("unsupported_protocol", "v")]


@pytest.mark.parametrize("channel", [None, "web", "KIOSK", ["kiosk"]], ids=["missing", "web", "upper", "list"])
def test_an_unknown_channel_is_unknown_channel(lookup, channel):
    assert problems(kiosk_response(channel=channel), lookup) == [("unknown_channel", "channel")]


@pytest.mark.parametrize("name", ["store", "touchpoint"])
@pytest.mark.parametrize("value", [None, "", "x" * 65, 7], ids=["missing", "empty", "too-long", "number"])
def test_a_missing_or_bad_store_or_touchpoint_is_missing_field(lookup, name, value):
    assert problems(kiosk_response(**{name: value}), lookup) == [("missing_field", name)]


def test_a_store_of_64_characters_is_accepted(lookup):
    assert codes(kiosk_response(store="x" * 64), lookup) == []


def test_a_missing_survey_is_missing_field(lookup):
    assert problems(kiosk_response(survey=None), lookup) == [("missing_field", "survey")]


@pytest.mark.parametrize("version", [None, "3", 3.0, True], ids=["missing", "string", "float", "bool"])
def test_a_survey_version_that_is_not_an_integer_is_missing_field(lookup, version):
    assert problems(kiosk_response(survey_version=version), lookup) == [("missing_field", "survey_version")]


@pytest.mark.parametrize(
    "captured_at",
    [
        None,
        "yesterday",
        "2026-11-23T09:15:02.120",
        "2026-11-23",
        "2026-13-23T09:15:02.120Z",
        1795425302,
    ],
    ids=["missing", "words", "naive-without-zone", "date-only", "month-13", "epoch-number"],
)
def test_a_captured_at_that_is_not_rfc3339_with_a_zone_is_bad_time(lookup, captured_at):
    assert problems(kiosk_response(captured_at=captured_at), lookup) == [("bad_time", "captured_at")]


@pytest.mark.parametrize("locale", ["DE", "german", "d", "de_DE", "de-", "de\n", 5, False], ids=repr)
def test_a_locale_that_is_not_a_language_tag_is_bad_locale(lookup, locale):
    assert problems(kiosk_response(locale=locale), lookup) == [("bad_locale", "locale")]


def test_an_explicit_null_locale_is_bad_locale(lookup):
    item = kiosk_response()
    item["locale"] = None
    assert problems(item, lookup) == [("bad_locale", "locale")]


def test_a_kiosk_response_without_seq_is_bad_sequence(lookup):
    assert problems(kiosk_response(seq=None), lookup) == [("bad_sequence", "seq")]


@pytest.mark.parametrize("seq", [0, -1, "42", 4.2, True], ids=["zero", "negative", "string", "float", "bool"])
def test_a_kiosk_seq_that_is_not_a_positive_integer_is_bad_sequence(lookup, seq):
    assert problems(kiosk_response(seq=seq), lookup) == [("bad_sequence", "seq")]


def test_a_qr_response_with_seq_is_bad_sequence(lookup):
    assert problems(kiosk_response(channel="qr", seq=7), lookup) == [("bad_sequence", "seq")]


@pytest.mark.parametrize("flags", ["suspect", ["suspect", 1], {"suspect": True}], ids=["string", "non-string", "dict"])
def test_flags_that_are_not_a_list_of_strings_are_wrong_type(lookup, flags):
    assert problems(kiosk_response(flags=flags), lookup) == [("wrong_type", "flags")]


def test_an_unknown_flag_is_unknown_flag(lookup):
    assert problems(kiosk_response(flags=["suspect", "late"]), lookup) == [("unknown_flag", "flags")]


@pytest.mark.parametrize(
    "contact",
    [
        {"address": "kunde@example.org"},
        {"address": "kunde@example.org", "consent": False},
        {"address": "kunde@example.org", "consent": "yes"},
        {"address": "kunde@example.org", "consent": 1},
        {"address": "   ", "consent": True},
        {"address": "x" * 201, "consent": True},
        {"consent": True},
        "kunde@example.org",
    ],
    ids=[
        "no-consent",
        "consent-false",
        "consent-string",
        "consent-1",
        "blank-address",
        "address-too-long",
        "no-address",
        "not-an-object",
    ],
)
def test_a_contact_without_consent_or_address_is_bad_contact(lookup, contact):
    assert problems(kiosk_response(contact=contact), lookup) == [("bad_contact", "contact")]


@pytest.mark.parametrize(("key", "version"), [("exit", 4), ("entry", 3)], ids=["other-version", "other-key"])
def test_a_survey_the_lookup_does_not_know_is_unknown_survey(lookup, key, version):
    assert problems(kiosk_response(survey=key, survey_version=version), lookup) == [("unknown_survey", "survey")]


def test_the_lookup_is_asked_for_the_named_survey_and_version():
    asked = []
    validate_response(kiosk_response(survey="entry", survey_version=9), lambda k, v: asked.append((k, v)))
    assert asked == [("entry", 9)]


def test_an_empty_answer_list_is_no_answers(lookup):
    assert problems(kiosk_response(answers=[]), lookup) == [("no_answers", "answers")]


@pytest.mark.parametrize("answers", [None, {"rating": 1}, "rating=1"], ids=["missing", "dict", "string"])
def test_answers_that_are_not_a_list_are_wrong_type(lookup, answers):
    assert problems(kiosk_response(answers=answers), lookup) == [("wrong_type", "answers")]


def test_an_answer_that_is_not_an_object_is_not_an_object(lookup):
    item = kiosk_response()
    item["answers"].append("rating=1")
    assert problems(item, lookup) == [("not_an_object", "answers[5]")]


@pytest.mark.parametrize("question", ["mood", None, ["rating"]], ids=["unknown-id", "missing", "list"])
def test_an_answer_to_a_question_not_in_the_survey_is_unknown_question(lookup, question):
    item = kiosk_response()
    item["answers"].append({"question": question, "kind": "smiley", "value": 1})
    assert problems(item, lookup) == [("unknown_question", "answers[5]")]


def test_the_same_question_answered_twice_is_duplicate_answer(lookup):
    item = kiosk_response()
    item["answers"].append({"question": "rating", "kind": "smiley", "value": 2})
    assert problems(item, lookup) == [("duplicate_answer", "answers[5]")]


def test_an_answer_of_another_kind_than_its_question_is_wrong_kind(lookup):
    item = with_answer("rating", "nps", 1)
    assert problems(item, lookup) == [("wrong_kind", path_of_answer(item, "rating"))]


@pytest.mark.parametrize(
    ("question", "kind", "value"),
    [
        ("rating", "smiley", 5),
        ("rating", "smiley", 0),
        ("recommend", "nps", 11),
        ("recommend", "nps", -1),
        ("satisfied", "csat", 0),
        ("satisfied", "csat", 6),
    ],
    ids=["smiley-5-on-4-faces", "smiley-0", "nps-11", "nps-minus-1", "csat-0", "csat-6"],
)
def test_a_number_outside_the_question_range_is_value_out_of_range(lookup, question, kind, value):
    item = with_answer(question, kind, value)
    assert problems(item, lookup) == [("value_out_of_range", path_of_answer(item, question))]


@pytest.mark.parametrize(
    ("question", "kind", "value"),
    [("rating", "smiley", True), ("recommend", "nps", False), ("satisfied", "csat", True)],
    ids=["smiley-true", "nps-false", "csat-true"],
)
def test_a_bool_is_not_an_integer_answer(lookup, question, kind, value):
    item = with_answer(question, kind, value)
    assert problems(item, lookup) == [("wrong_type", path_of_answer(item, question))]


@pytest.mark.parametrize(
    ("question", "kind", "value"),
    [
        ("rating", "smiley", "1"),
        ("recommend", "nps", 9.0),
        ("satisfied", "csat", None),
        ("comment", "text", 5),
        ("comment", "text", ["Zu lange"]),
        ("reason", "choice", "queue"),
        ("reason", "choice", []),
        ("reason", "choice", ["queue", 2]),
    ],
    ids=[
        "smiley-string",
        "nps-float",
        "csat-null",
        "text-number",
        "text-list",
        "choice-string",
        "choice-empty",
        "choice-non-string",
    ],
)
def test_a_value_of_the_wrong_json_type_is_wrong_type(lookup, question, kind, value):
    item = with_answer(question, kind, value)
    assert problems(item, lookup) == [("wrong_type", path_of_answer(item, question))]


def test_a_choice_naming_an_option_not_offered_is_unknown_option(lookup):
    item = with_answer("reason", "choice", ["queue", "weather"])
    assert problems(item, lookup) == [("unknown_option", path_of_answer(item, "reason"))]


def test_two_options_on_a_single_choice_is_too_many_options(lookup):
    item = with_answer("area", "choice", ["food", "fashion"])
    assert problems(item, lookup) == [("too_many_options", path_of_answer(item, "area"))]


def test_a_comment_over_the_question_limit_is_comment_too_long(lookup):
    item = with_answer("comment", "text", "x" * 501)
    assert problems(item, lookup) == [("comment_too_long", path_of_answer(item, "comment"))]


def test_a_response_without_the_required_question_is_missing_required(lookup):
    item = kiosk_response(answers=[{"question": "recommend", "kind": "nps", "value": 9}])
    assert problems(item, lookup) == [("missing_required", "answers")]


def test_the_partial_flag_lifts_missing_required(lookup):
    item = kiosk_response(answers=[{"question": "recommend", "kind": "nps", "value": 9}], flags=["partial"])
    response, found = validate_response(item, lookup)
    assert found == []
    assert response.flags == ("partial",)
    assert response.answers == (AnswerRow("recommend", "nps", 9, None),)


def test_a_rejected_answer_to_the_required_question_still_counts_as_answered(lookup):
    # the required question is answered, just wrongly: one problem, not two
    item = with_answer("rating", "smiley", 9)
    assert codes(item, lookup) == ["value_out_of_range"]


def test_all_problems_of_an_item_are_reported_at_once(lookup):
    item = kiosk_response(id="nope", v=2, locale="DE", flags=["late"], contact={"address": "a@b.c"})
    item["answers"] = [
        {"question": "recommend", "kind": "nps", "value": 11},
        {"question": "mood", "kind": "smiley", "value": 1},
        {"question": "comment", "kind": "text", "value": "x" * 501},
    ]
    assert codes(item, lookup) == [
        "bad_id",
        "unsupported_protocol",
        "bad_locale",
        "unknown_flag",
        "bad_contact",
        "value_out_of_range",
        "unknown_question",
        "comment_too_long",
        "missing_required",
    ]


def test_every_problem_of_an_answer_list_is_reported_with_its_own_path(lookup):
    item = kiosk_response(
        answers=[
            {"question": "rating", "kind": "smiley", "value": 5},
            {"question": "reason", "kind": "choice", "value": ["weather"]},
            {"question": "area", "kind": "choice", "value": ["food", "fashion"]},
            {"question": "rating", "kind": "smiley", "value": 1},
        ]
    )
    assert problems(item, lookup) == [
        ("value_out_of_range", "answers[0]"),
        ("unknown_option", "answers[1]"),
        ("too_many_options", "answers[2]"),
        ("duplicate_answer", "answers[3]"),
    ]


def test_every_problem_code_validation_reports_is_registered_and_all_but_the_version_are_item_codes(lookup):
    items = [
        "x",
        kiosk_response(id="x", v=9, channel="web", store="", survey_version="3", captured_at="x", locale="X"),
        kiosk_response(seq=None, flags=["late"], contact={"address": "a"}, answers={}),
        kiosk_response(channel="qr", flags=[1], answers=[]),
        kiosk_response(survey_version=99),
        kiosk_response(
            answers=[
                1,
                {"question": "nope"},
                {"question": "recommend", "kind": "csat", "value": 1},
                {"question": "recommend", "kind": "nps", "value": 1},
                {"question": "satisfied", "kind": "csat", "value": 9},
                {"question": "comment", "kind": "text", "value": "x" * 501},
                {"question": "reason", "kind": "choice", "value": ["nope"]},
                {"question": "area", "kind": "choice", "value": ["food", "fashion"]},
            ]
        ),
    ]
    seen = {code for item in items for code in codes(item, lookup)}
    assert len(seen) == 21
    assert seen <= set(CODES)
    # unsupported_protocol is shared with the request level (400); every other item problem is a 422 code
    assert {code for code in seen if CODES[code][0] != 422} == {"unsupported_protocol"}


def test_validation_does_not_change_the_item(lookup):
    item = kiosk_response(flags=["suspect", "clock_skew"])
    before = copy.deepcopy(item)
    validate_response(item, lookup)
    assert item == before


# --- property: every well-formed response validates --------------------------------------------


@st.composite
def valid_responses(draw) -> dict:
    answers = [{"question": "rating", "kind": "smiley", "value": draw(st.integers(1, 4))}]
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(["queue", "staff", "price"]), min_size=1, max_size=3, unique=True))
        answers.append({"question": "reason", "kind": "choice", "value": chosen})
    if draw(st.booleans()):
        answers.append({"question": "recommend", "kind": "nps", "value": draw(st.integers(0, 10))})
    if draw(st.booleans()):
        answers.append({"question": "satisfied", "kind": "csat", "value": draw(st.integers(1, 5))})
    if draw(st.booleans()):
        answers.append({"question": "comment", "kind": "text", "value": draw(st.text(max_size=500))})
    if draw(st.booleans()):
        answers.append({"question": "area", "kind": "choice", "value": [draw(st.sampled_from(["food", "fashion"]))]})
    answers = draw(st.permutations(answers))
    captured = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2099, 12, 31),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]),
        )
    )
    channel = draw(st.sampled_from(["kiosk", "qr"]))
    item = {
        "id": uuid7(captured, draw(st.binary(min_size=10, max_size=10))),
        "v": 1,
        "channel": channel,
        "store": draw(st.text(min_size=1, max_size=64)),
        "touchpoint": draw(st.text(min_size=1, max_size=64)),
        "survey": "exit",
        "survey_version": 3,
        "captured_at": draw(st.sampled_from([format_time(captured), captured.isoformat()])),
        "answers": answers,
    }
    if channel == "kiosk":
        item["seq"] = draw(st.integers(min_value=1, max_value=2**53))
    if draw(st.booleans()):
        item["locale"] = draw(st.sampled_from(["de", "en", "en-GB", "fr-CH", "und"]))
    if draw(st.booleans()):
        item["flags"] = draw(st.lists(st.sampled_from(["suspect", "partial", "clock_skew"]), max_size=4))
    if draw(st.booleans()):
        address = draw(st.text(min_size=1, max_size=200).filter(lambda text: text.strip()))
        item["contact"] = {"address": address, "consent": True}
    return item


@settings(max_examples=300)
@given(item=valid_responses())
def test_any_well_formed_response_validates_and_hashes_like_its_json_round_trip(lookup, item):
    response, found = validate_response(item, lookup)
    assert found == []
    assert response is not None
    assert response.content_hash == content_hash(item) == content_hash(json.loads(json.dumps(item)))
    expected_rows = sum(len(a["value"]) if a["kind"] == "choice" else 1 for a in item["answers"])
    assert len(response.answers) == expected_rows


# --- batches --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [[], "batch", None, 1], ids=["list", "string", "null", "number"])
def test_a_batch_that_is_not_an_object_is_malformed_batch(body):
    with pytest.raises(RequestError) as caught:
        read_batch(body)
    assert (caught.value.code, caught.value.status) == ("malformed_batch", 400)


@pytest.mark.parametrize("version", [None, 2, "1", [1]], ids=["missing", "2", "string", "list"])
def test_a_batch_of_another_protocol_version_is_unsupported_protocol(version):
    body = {"responses": []} if version is None else {"v": version, "responses": []}
    with pytest.raises(RequestError) as caught:
        read_batch(body)
    assert (caught.value.code, caught.value.status) == ("unsupported_protocol", 400)


@pytest.mark.parametrize("responses", [None, {}, "[]"], ids=["missing", "object", "string"])
def test_batch_responses_that_are_not_a_list_are_malformed_batch(responses):
    body = {"v": 1} if responses is None else {"v": 1, "responses": responses}
    with pytest.raises(RequestError) as caught:
        read_batch(body)
    assert caught.value.code == "malformed_batch"


def test_a_batch_over_max_items_is_batch_too_large():
    with pytest.raises(RequestError) as caught:
        read_batch({"v": 1, "responses": [{}, {}, {}]}, max_items=2)
    assert (caught.value.code, caught.value.status) == ("batch_too_large", 413)


def test_a_batch_of_exactly_max_items_is_accepted():
    assert len(read_batch({"v": 1, "responses": [{}, {}]}, max_items=2).responses) == 2


def test_the_default_batch_limit_is_max_batch_items():
    assert len(read_batch({"v": 1, "responses": [{}] * MAX_BATCH_ITEMS}).responses) == MAX_BATCH_ITEMS
    with pytest.raises(RequestError, match="batch_too_large"):
        read_batch({"v": 1, "responses": [{}] * (MAX_BATCH_ITEMS + 1)})


def test_read_batch_leaves_the_items_unvalidated():
    batch = read_batch({"v": 1, "responses": [1, "x", {}]})
    assert batch.responses == [1, "x", {}]


def test_a_batch_without_heartbeat_has_an_empty_heartbeat():
    assert read_batch({"v": 1, "responses": []}).heartbeat == Heartbeat()


@pytest.mark.parametrize(
    "heartbeat",
    [
        "ok",
        [1, 2],
        {"queue_depth": -1},
        {"queue_depth": "3"},
        {"queue_depth": True},
        {"quarantined": 1.5},
        {"last_seq": -5},
        {"app_version": 5},
        {"last_error": ["boom"]},
    ],
    ids=[
        "string",
        "list",
        "negative-depth",
        "string-depth",
        "bool-depth",
        "float-quarantined",
        "negative-seq",
        "number-version",
        "list-error",
    ],
)
def test_a_malformed_heartbeat_is_malformed_batch(heartbeat):
    with pytest.raises(RequestError) as caught:
        read_batch({"v": 1, "responses": [], "heartbeat": heartbeat})
    assert caught.value.code == "malformed_batch"


def test_heartbeat_round_trips_through_a_batch():
    heartbeat = Heartbeat(queue_depth=3, app_version="1.4.0", quarantined=0, last_error="timeout", last_seq=41)
    body = json.loads(json.dumps(make_batch([kiosk_response()], heartbeat)))
    batch = read_batch(body)
    assert batch.heartbeat == heartbeat
    assert batch.version == 1
    assert batch.responses == [kiosk_response()]


def test_heartbeat_as_dict_drops_unset_fields_but_keeps_zero():
    assert Heartbeat(quarantined=0, app_version="1.4.0").as_dict() == {"quarantined": 0, "app_version": "1.4.0"}


def test_make_batch_without_heartbeat_sends_an_empty_one():
    assert make_batch([]) == {"v": 1, "responses": [], "heartbeat": {}}


def test_heartbeat_texts_are_cut_to_their_limits():
    heartbeat = Heartbeat.from_dict({"app_version": "v" * 100, "last_error": "e" * 1000})
    assert heartbeat.app_version == "v" * 40
    assert heartbeat.last_error == "e" * 500


# --- time -----------------------------------------------------------------------------------


def test_format_time_writes_utc_with_milliseconds_and_z():
    assert format_time(CAPTURED) == "2026-11-23T09:15:02.120Z"


def test_format_time_truncates_to_the_millisecond():
    assert format_time(datetime(2026, 11, 23, 9, 15, 2, 120_999, tzinfo=UTC)) == "2026-11-23T09:15:02.120Z"


def test_format_time_converts_an_offset_to_utc():
    value = datetime(2026, 11, 23, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(value) == "2026-11-22T22:30:00.000Z"


def test_parse_time_reads_z_as_utc():
    value = parse_time("2026-11-23T09:15:02.120Z")
    assert value == CAPTURED
    assert value.tzinfo == UTC


def test_parse_time_converts_an_offset_to_utc():
    value = parse_time("2026-11-23T01:15:02-08:00")
    assert value == datetime(2026, 11, 23, 9, 15, 2, tzinfo=UTC)
    assert value.tzinfo == UTC


def test_parse_time_accepts_the_shortest_form():
    assert parse_time("2026-11-23T09:15:02Z") == datetime(2026, 11, 23, 9, 15, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T09:15:02.120",
        "2026-11-23T09:15:02",
        "2026-11-23",
        "",
        "not a time at all, really",
        "2026-02-30T09:15:02.120Z",
        "2026-11-23T25:15:02.120Z",
        "2026-11-23T09:15:02.120000000000000000000Z",
        None,
        1795425302,
        CAPTURED,
    ],
    ids=[
        "naive-ms",
        "naive",
        "date-only",
        "empty",
        "words",
        "feb-30",
        "hour-25",
        "longer-than-40",
        "none",
        "number",
        "datetime-object",
    ],
)
def test_parse_time_rejects_anything_but_a_zoned_timestamp(text):
    assert parse_time(text) is None


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.builds(timezone, st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))),
    )
)
def test_format_then_parse_gives_the_instant_to_the_millisecond(value):
    assert parse_time(format_time(value)) == value.replace(microsecond=value.microsecond // 1000 * 1000)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_parse_then_format_gives_back_the_canonical_text(value):
    text = format_time(value)
    assert format_time(parse_time(text)) == text


def test_a_lone_surrogate_in_a_comment_is_reported_not_raised(lookup):
    answers = [
        {"question": "rating", "kind": "smiley", "value": 2},
        {"question": "comment", "kind": "text", "value": "x \ud800"},
    ]
    response, problems = validate_response(kiosk_response(answers=answers), lookup)
    assert response is None
    assert [p.code for p in problems] == ["bad_text"]


def test_week_dates_and_offsets_without_colon_and_spaces_are_not_rfc3339():
    assert parse_time("2026-W47-1T09:15:02Z") is None
    assert parse_time("2026-11-23T09:15:02+0100") is None
    assert parse_time("2026-11-23 09:15:02Z") is None


@pytest.mark.parametrize("version", [True, 1.0])
def test_true_and_float_are_not_protocol_version_one(lookup, version):
    _, problems = validate_response(kiosk_response(v=version), lookup)
    assert "unsupported_protocol" in [p.code for p in problems]
