"""A tap's case is classified again when the customer's phone follow-up adds reasons and a
comment to it (hub/services/case_classification.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from hub.models import Case, CaseClassification
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import connected
from tests.mobile_web.test_continuations import REASON, follow_up, tap

terminal = hub_fixtures.terminal  # an enrolled terminal of store B001 that signs its syncs

GERMAN_COMMENT = {"question": "comment", "kind": "text", "value": "Lange Schlange an der Kasse"}


def classification(app) -> CaseClassification:
    with connected(app):
        case = Case.select().order_by(Case.id.desc()).get()
        return CaseClassification.get(CaseClassification.case == case.id)


def test_a_follow_up_with_a_reason_and_a_comment_classifies_the_taps_case_again(app, client, clock, terminal):
    item = tap(terminal, rating=1)  # very unhappy: opens a case at once
    assert terminal.post_batch([item]).status_code == 200
    first = classification(app)
    assert (first.category, first.priority) == ("other", "normal")
    phone = follow_up(client, clock, terminal, item)

    done = phone.put(phone.version(REASON, GERMAN_COMMENT, partial=False))

    assert done.status_code == 200
    again = classification(app)
    assert again.case_id == first.case_id
    assert (again.category, again.language) == ("checkout", "de")
    assert "an der Kasse warten" in again.suggested_reply
