"""Password hashes: today's scrypt cost, old hashes replaced at the next sign-in, and a cost
that tests (only) lower through their app's configuration."""

from __future__ import annotations

import base64
import hashlib
import os

from hub.models import User
from hub.services import passwords
from tests.hub.conftest import PASSWORD, connected
from tests.hub.test_sign_in import person, sign_in


def old_hash(password: str, n: int = 2**15) -> str:
    """A hash as the hub made it before (scrypt N=2^15)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, maxmem=2**26, dklen=32)
    return "$".join(["scrypt", str(n), "8", "1", base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def test_a_new_hash_costs_scrypt_n_2_17_r_8_p_1_outside_tests():
    stored = passwords.hash_password(PASSWORD)  # no app: the production cost

    assert stored.startswith("scrypt$131072$8$1$")
    assert passwords.verify_password(PASSWORD, stored)
    assert not passwords.verify_password("another password", stored)


def test_the_test_configuration_lowers_the_cost(app):
    with app.app_context():
        assert passwords.hash_password(PASSWORD).startswith("scrypt$1024$8$1$")


def test_a_hash_of_the_old_cost_still_verifies_and_needs_a_rehash():
    stored = old_hash(PASSWORD)

    assert passwords.verify_password(PASSWORD, stored)
    assert passwords.needs_rehash(stored)
    assert not passwords.needs_rehash(passwords.hash_password(PASSWORD))


def test_a_hash_naming_an_absurd_cost_is_refused_without_computing_it():
    assert not passwords.verify_password(PASSWORD, "scrypt$4294967296$8$1$AAAA$AAAA")


def test_a_sign_in_with_an_old_hash_stores_one_of_todays_cost(app, client, clock):
    with connected(app):
        person("old@example.org", "Olga Old", "hq_analyst", old_hash(PASSWORD), clock)

    assert sign_in(client, "old@example.org").status_code == 302

    with connected(app):
        stored = User.get(User.email == "old@example.org").password_hash
    assert stored.startswith("scrypt$1024$8$1$")  # the test app's cost
    assert passwords.verify_password(PASSWORD, stored)


def test_a_failed_sign_in_leaves_an_old_hash_alone(app, client, clock):
    stored = old_hash(PASSWORD)
    with connected(app):
        person("old@example.org", "Olga Old", "hq_analyst", stored, clock)

    assert sign_in(client, "old@example.org", "not the password").status_code == 401

    with connected(app):
        assert User.get(User.email == "old@example.org").password_hash == stored
