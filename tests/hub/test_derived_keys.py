"""Keys derived from the hub's secret stay the same bytes: printed QR codes keep scanning and
contacts sealed before keep opening."""

from __future__ import annotations

from hub.services.personal_data import contact_key, open_contact, seal_contact
from hub.services.qr_tokens import QrKeys, read_phone_token, token_secrets, touchpoint_token

SECRET = "test secret"
# made before the derivations moved to shared.crypto.derive_key
PRINTED_TOKEN = "v1.eyJrIjoiazEiLCJzIjoiQjAwMSIsInQiOiJleGl0In0.m7_3TUHC5Pa44qKi2s-pjxC4V_d9DGyDbHkDmOtX1LU"
RESPONSE_ID = "0190a1b2-0000-7000-8000-000000000001"
SEALED_CONTACT = bytes.fromhex(
    "019460ae7d1399a81b7d50f45a34d35054e570d786917e53850e2355b248a61fcfaba96460b9c20b7360b83b69eb447d7fc53281dbe2e952b5"
)


def test_a_touchpoint_token_is_signed_as_before():
    assert touchpoint_token(SECRET, "B001", "exit", QrKeys(token_secrets(SECRET))) == PRINTED_TOKEN


def test_a_printed_token_still_reads():
    claims = read_phone_token(PRINTED_TOKEN, QrKeys(token_secrets(SECRET)), now=1_700_000_000)
    assert (claims.store, claims.touchpoint, claims.key_id) == ("B001", "exit", "k1")


def test_a_contact_sealed_before_still_opens():
    assert open_contact(contact_key(SECRET), SEALED_CONTACT, RESPONSE_ID) == {"email": "ana@example.org"}


def test_a_new_seal_opens_with_the_same_key():
    key = contact_key(SECRET)
    assert open_contact(key, seal_contact(key, {"phone": "+49 30 1"}, RESPONSE_ID), RESPONSE_ID) == {
        "phone": "+49 30 1"
    }
