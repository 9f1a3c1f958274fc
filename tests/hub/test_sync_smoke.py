from tests.hub.conftest import count


def test_a_valid_response_is_accepted_and_stored(app, terminal):
    answer = terminal.post_batch([terminal.response(rating=2)])
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["results"][0]["status"] == "accepted"
    assert count(app, "response") == 1
