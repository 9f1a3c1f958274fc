"""An integer id in a URL larger than a database column holds is an id that does not exist:
404 on every ``<int:...>`` route, never the database's overflow as a 500."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, MapAdapter

from tests.hub.alerting import sign_in_as

TOO_LARGE = "99999999999999999999999"


def test_an_id_too_large_for_the_database_is_a_missing_case(client, people):
    sign_in_as(client, people["admin"])
    assert client.get(f"/cases/{TOO_LARGE}").status_code == 404
    assert client.get(f"/api/v1/cases/{TOO_LARGE}").status_code == 404


def test_the_largest_id_a_column_holds_still_reaches_the_view(app):
    _endpoint_name, values = app.url_map.bind("hub.example").match(f"/cases/{2**63 - 1}", method="GET")
    assert values == {"case_id": 2**63 - 1}


def test_no_int_route_matches_an_id_too_large_for_the_database(app):
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values())
    ]
    assert len(routes) >= 20
    urls = app.url_map.bind("hub.example")
    for rule in routes:
        values = {
            name: (TOO_LARGE if isinstance(converter, IntegerConverter) else "x")
            for name, converter in rule._converters.items()
        }
        path = rule.build(values, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert _endpoint(urls, path, method) != rule.endpoint, path


def _endpoint(urls: MapAdapter, path: str, method: str) -> str | None:
    try:
        return urls.match(path, method=method)[0]
    except HTTPException:  # 404, or 405 where another route has the path
        return None
