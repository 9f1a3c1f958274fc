"""Contact-centre feedback: invitations that name the pseudonymous agent and team, answered on
the phone page, results by team and agent beside the agent's own view of each contact, and who
sees what: HQ every team, a team lead their team, an agent only their own contacts (scoped like
the stores); on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

import pytest

from hub.models import AgentView
from hub.services import catalog, contact_centre
from mobile_web import tickets
from shared.ids import uuid7
from shared.protocol import format_time
from tests.hub.alerting import add_person, sign_in_as
from tests.hub.conftest import assert_problem, connected
from tests.hub.invitation_steps import ask, deliver, post, run_job
from tests.hub.test_api_tokens import bearer, make
from tests.hub.test_measures import voxloop  # noqa: F401 (the command line, a fixture)

# (reference, team, agent, face the customer gives or None, comment)
CONTACTS = [
    ("C-1", "T1", "A1", 4, "Quick and kind"),
    ("C-2", "T1", "A1", 1, "Nobody could help"),
    ("C-3", "T1", "A2", 3, None),
    ("C-4", "T2", "B1", 2, "Transferred three times"),
    ("C-5", "T1", "A2", None, None),
]


@pytest.fixture
def centre(app, client, clock, people, password_hash, store, inbox):
    """A contact centre touchpoint of B001, a team lead of T1, agents A1 and B1 (team T2), and
    the contacts of CONTACTS invited, sent and (where a face is given) answered on the phone."""
    with connected(app):
        catalog.add_touchpoint("B001", "calls", "Customer service", kind="contact_centre")
        crowd = {
            "lead": add_person("lea@example.org", "Lea Lead", "team_lead", password_hash, clock),
            "alex": add_person("alex@example.org", "Alex Agent", "agent", password_hash, clock),
            "bo": add_person("bo@example.org", "Bo Agent", "agent", password_hash, clock),
        }
        contact_centre.set_member(crowd["lead"], team="T1", agent=None)
        contact_centre.set_member(crowd["alex"], team="T1", agent="A1")
        contact_centre.set_member(crowd["bo"], team="T2", agent="B1")
    token = make(app, clock, people["admin"], "invitations:write")
    for n, (reference, team, agent, _face, _comment) in enumerate(CONTACTS):
        body = ask(clock, reference, address=f"customer{n}@example.org", touchpoint="calls", source="crm")
        made = post(client, token, {**body, "team": team, "agent": agent})
        assert made.status_code == 201, made.get_json()
    clock.advance(hours=1)
    run_job(app)
    deliver(app)
    emails = inbox.wait_for(len(CONTACTS))
    for email, (_reference, _team, _agent, face, comment) in zip(
        sorted(emails, key=lambda e: e["To"]), CONTACTS, strict=True
    ):
        assert "thank you for contacting Berlin Mitte" in email.get_body(preferencelist=("plain",)).get_content()
        if face is not None:
            _answer(client, clock, _link(email), face, comment)
    return {**people, **crowd}


def _link(email: Any) -> str:
    text = email.get_body(preferencelist=("plain",)).get_content()
    start = text.index("/invite/")
    return text[start : text.index("\n", start)].strip()


def _answer(client, clock, link: str, face: int, comment: str | None) -> None:
    """The customer follows the link and answers on the phone page, as phone.js sends it."""
    opened = client.get(link)
    assert opened.status_code == 303
    token = opened.headers["Location"].split("/m/", 1)[1].split("?", 1)[0]
    answers = [{"question": "rating", "kind": "smiley", "value": face}]
    if comment:
        answers.append({"question": "comment", "kind": "text", "value": comment})
    item = {
        "id": uuid7(clock(), secrets.token_bytes(10)),
        "v": 1,
        "channel": "qr",
        "store": "B001",
        "touchpoint": "calls",
        "survey": "exit",
        "survey_version": 1,
        "captured_at": format_time(clock()),
        "locale": "en",
        "answers": answers,
    }
    served = clock() - timedelta(minutes=2)
    page = tickets.make_ticket(
        client.application.config["SECRET_KEY"], hashlib.sha256(token.encode()).hexdigest(), served
    )
    sent = client.put(
        f"/api/v1/phone/{token}/responses/{item['id']}",
        data=json.dumps({"response": item, "ticket": page}),
        content_type="application/json",
    )
    assert sent.status_code == 200, sent.get_json()


def _page(client, person) -> str:
    sign_in_as(client, person)
    answer = client.get("/contact-centre?from=2026-11-01&to=2026-11-30")
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def _agents(page: str) -> set[str]:
    import re

    return set(re.findall(r'<tr data-team="[^"]*" data-agent="([^"]+)"', page))


def _contacts(page: str) -> set[str]:
    import re

    return set(re.findall(r'<tr data-contact="([^"]+)"', page))


def test_hq_sees_every_team_and_agent_with_the_customers_answers(app, client, centre):
    page = _page(client, centre["admin"])
    assert _agents(page) == {"A1", "A2", "B1"}
    assert _contacts(page) == {"C-1", "C-2", "C-3", "C-4", "C-5"}
    a1 = page[page.index('data-agent="A1"') :]
    assert '<td class="contacts">2</td>' in a1 and '<td class="answered">2</td>' in a1
    assert "Nobody could help" in page and "Transferred three times" in page


def test_a_team_lead_sees_their_team_only(app, client, centre):
    page = _page(client, centre["lead"])
    assert _agents(page) == {"A1", "A2"}
    assert _contacts(page) == {"C-1", "C-2", "C-3", "C-5"}
    assert "Transferred three times" not in page


def test_an_agent_sees_only_their_own_contacts(app, client, centre):
    page = _page(client, centre["alex"])
    assert _agents(page) == {"A1"}
    assert _contacts(page) == {"C-1", "C-2"}
    assert "Transferred three times" not in page and 'data-agent="A2"' not in page
    page = _page(client, centre["bo"])
    assert _agents(page) == {"B1"} and _contacts(page) == {"C-4"}


def test_the_service_scope_holds_without_the_page(app, centre):
    from hub.services.analytics import Period

    with connected(app):
        period = Period.ending(app.config["CLOCK"]().date(), 28)
        seen = contact_centre.coaching(contact_centre.coaching_scope_for(centre["alex"]), period)
        assert {c["reference"] for c in seen.contacts} == {"C-1", "C-2"}
        [result] = seen.agents
        assert result.faces == {4: 1, 1: 1}


def test_a_store_manager_gets_no_coaching_view(app, client, centre):
    sign_in_as(client, centre["mia"])
    assert client.get("/contact-centre").status_code == 403


def test_an_agent_rates_their_own_contact_and_both_views_show_together(app, client, clock, centre):
    token = make(app, clock, centre["alex"], "contacts:write")
    rated = client.post(
        "/api/v1/contacts/C-2/agent-view",
        json={"source": "crm", "difficulty": 5, "resolved": False, "note": "Needed a refund we do not give"},
        headers=bearer(token),
    )
    assert rated.status_code == 200, rated.get_json()
    assert rated.get_json()["agent"] == "A1" and rated.get_json()["difficulty"] == 5
    again = client.post(
        "/api/v1/contacts/C-2/agent-view",
        json={"source": "crm", "difficulty": 4, "resolved": True},
        headers=bearer(token),
    )
    assert again.get_json()["difficulty"] == 4  # replaced, not added
    with connected(app):
        assert AgentView.select().count() == 1
    page = _page(client, centre["lead"])
    row = page[page.index('data-contact="C-2"') :]
    row = row[: row.index("</tr>")]
    assert "Nobody could help" in row and "difficulty 4 of 5" in row and "resolved" in row
    a1 = page[page.index('data-agent="A1"') :]
    assert '<td class="difficulty">4.0</td>' in a1 or '<td class="difficulty">4</td>' in a1


def test_an_agent_cannot_rate_another_agents_contact(app, client, clock, centre):
    token = make(app, clock, centre["alex"], "contacts:write")
    for reference in ("C-3", "C-4", "NOPE"):
        answer = client.post(
            f"/api/v1/contacts/{reference}/agent-view",
            json={"source": "crm", "difficulty": 2, "resolved": True},
            headers=bearer(token),
        )
        assert_problem(answer, 404, "not_found")
    lead = make(app, clock, centre["lead"], "contacts:write")
    theirs = client.post(
        "/api/v1/contacts/C-3/agent-view",
        json={"source": "crm", "difficulty": 2, "resolved": True},
        headers=bearer(lead),
    )
    assert theirs.status_code == 200  # a team lead rates a contact of their team
    assert_problem(
        client.post(
            "/api/v1/contacts/C-4/agent-view",
            json={"source": "crm", "difficulty": 2, "resolved": True},
            headers=bearer(lead),
        ),
        404,
        "not_found",
    )
    with connected(app):
        assert AgentView.select().count() == 1


def test_a_bad_agent_view_is_refused_and_nothing_stored(app, client, clock, centre):
    token = make(app, clock, centre["alex"], "contacts:write")
    for body in (
        {"source": "crm", "difficulty": 6, "resolved": True},
        {"source": "crm", "difficulty": 3, "resolved": "yes"},
        {"source": "crm", "difficulty": 3, "resolved": True, "mood": "fine"},
    ):
        assert_problem(
            client.post("/api/v1/contacts/C-1/agent-view", json=body, headers=bearer(token)), 400, "malformed_request"
        )
    with connected(app):
        assert AgentView.select().count() == 0


def test_the_agent_rates_from_the_coaching_page_with_its_form(app, client, clock, centre):
    csrf = sign_in_as(client, centre["alex"])
    with connected(app):
        from hub.models import Invitation

        contact = Invitation.get(Invitation.reference == "C-1")
        other = Invitation.get(Invitation.reference == "C-4")
    saved = client.post(
        f"/contact-centre/contacts/{contact.id}/agent-view",
        data={"csrf_token": csrf, "difficulty": "2", "resolved": "yes"},
    )
    assert saved.status_code == 303
    refused = client.post(
        f"/contact-centre/contacts/{other.id}/agent-view", data={"csrf_token": csrf, "difficulty": "2"}
    )
    assert refused.status_code == 404
    forged = client.post(f"/contact-centre/contacts/{contact.id}/agent-view", data={"difficulty": "5"})
    assert forged.status_code == 403
    with connected(app):
        [view] = list(AgentView.select())
    assert (view.invitation_id, view.difficulty, bool(view.resolved)) == (contact.id, 2, True)


def test_an_agent_without_an_agent_id_sees_nothing(app, client, clock, centre, password_hash):
    with connected(app):
        newcomer = add_person("neu@example.org", "Neu Agent", "agent", password_hash, clock)
    page = _page(client, newcomer)
    assert _agents(page) == set() and _contacts(page) == set()


def test_the_agent_view_answers_are_the_ones_the_openapi_document_describes(app, client, clock, centre):
    from tests.hub.test_openapi import check_answer

    doc = client.get("/api/v1/openapi.json").get_json()
    token = make(app, clock, centre["alex"], "contacts:write")
    path = "/api/v1/contacts/{reference}/agent-view"
    for reference, body, status in (
        ("C-1", {"source": "crm", "difficulty": 3, "resolved": True, "note": None}, 200),
        ("C-4", {"source": "crm", "difficulty": 3, "resolved": True}, 404),
        ("C-1", {"source": "crm", "difficulty": 0, "resolved": True}, 400),
    ):
        answer = client.post(f"/api/v1/contacts/{reference}/agent-view", json=body, headers=bearer(token))
        assert answer.status_code == status
        check_answer(doc, "POST", path, answer)
    analyst = make(app, clock, centre["ana"], "analytics:read")
    answer = client.post("/api/v1/contacts/C-1/agent-view", json={"source": "crm"}, headers=bearer(analyst))
    assert answer.status_code == 403
    check_answer(doc, "POST", path, answer)


def test_the_command_line_names_a_persons_team_and_agent_id(app, voxloop, password_hash, clock):  # noqa: F811
    from hub.models import ContactCentreMember

    with connected(app):
        person = add_person("lea@example.org", "Lea Lead", "team_lead", password_hash, clock)
    done = voxloop("hub", "contact-centre-member", "Lea@example.org", "--team", "T1")
    assert done.exit_code == 0, done.output
    bad = voxloop("hub", "contact-centre-member", "lea@example.org", "--agent", "a b")
    assert bad.exit_code != 0 and "--agent" in bad.output
    with connected(app):
        member = ContactCentreMember.get(ContactCentreMember.user == person.id)
    assert (member.team, member.agent) == ("T1", None)


def test_the_menu_offers_the_coaching_view_to_those_who_may_open_it(app, client, centre):
    assert 'href="/contact-centre"' in _page(client, centre["alex"])
    sign_in_as(client, centre["mia"])
    page = client.get("/dashboard/invitations").get_data(as_text=True)
    assert 'href="/dashboard/invitations"' in page and 'href="/contact-centre"' not in page


def test_the_response_rates_count_what_was_planted(app, client, centre):
    sign_in_as(client, centre["admin"])
    table = client.get("/dashboard/invitations.csv?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    answered = sum(1 for c in CONTACTS if c[3] is not None)
    assert table.splitlines()[1:] == [f"B001,email,{len(CONTACTS)},{len(CONTACTS)},{answered},{answered}"]
