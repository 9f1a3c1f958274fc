"""Keys, signed terminal requests (RFC 9421 shape) and signed QR tokens."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.crypto import (
    MAX_CLOCK_SKEW_SECONDS,
    SignedRequest,
    b64url,
    check_created,
    content_digest,
    derive_key,
    load_public_key,
    make_token,
    new_private_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_text,
    read_signature,
    read_token,
    sign_request,
    unb64url,
    verify_request,
)
from shared.errors import EnrollmentError, SignatureError, TokenError

CREATED = 1_700_000_000
NONCE = "n0nce-abc_123"
KEY_ID = "dev-0001"
METHOD = "POST"
PATH = "/api/v1/sync"
BODY = b'{"v":1,"responses":[],"heartbeat":{}}'

NOW = 1_800_000_000
SECRET = b"secret-one-0123456789abcdef"
OTHER_SECRET = b"secret-two-0123456789abcdef"
CLAIMS = {"s": "B001", "t": "exit", "r": "R-4711", "e": NOW + 3600}


@pytest.fixture(scope="module")
def key():
    return new_private_key()


@pytest.fixture(scope="module")
def other_key():
    return new_private_key()


@pytest.fixture
def headers(key):
    return sign_request(key, KEY_ID, METHOD, PATH, BODY, created=CREATED, nonce=NONCE)


def signature_error(headers, public_key, method=METHOD, path=PATH, body=BODY) -> str:
    with pytest.raises(SignatureError) as caught:
        verify_request(public_key, read_signature(headers), method, path, body)
    assert caught.value.status == 401
    return caught.value.code


def read_error(headers) -> str:
    with pytest.raises(SignatureError) as caught:
        read_signature(headers)
    return caught.value.code


def token_error(token, secrets, now=NOW) -> str:
    with pytest.raises(TokenError) as caught:
        read_token(token, secrets, now)
    assert caught.value.status == 400
    return caught.value.code


def reencode_claims(token: str, claims: dict) -> str:
    prefix, _, mac = token.split(".")
    body = b64url(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{prefix}.{body}.{mac}"


# --- signed requests ------------------------------------------------------------------------


def test_a_signed_request_verifies(key, headers):
    signed = read_signature(headers)
    assert verify_request(key.public_key(), signed, METHOD, PATH, BODY) is None


def test_read_signature_returns_what_the_headers_claim(headers):
    signed = read_signature(headers)
    assert (signed.key_id, signed.created, signed.nonce) == (KEY_ID, CREATED, NONCE)
    assert signed.digest == headers["Content-Digest"]
    assert len(signed.signature) == 64


def test_the_content_digest_is_the_base64_sha256_of_the_body(headers):
    expected = "sha-256=:" + base64.b64encode(hashlib.sha256(BODY).digest()).decode() + ":"
    assert headers["Content-Digest"] == expected == content_digest(BODY)


def test_the_signature_input_names_the_covered_components_and_parameters(headers):
    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@path" "content-digest");created={CREATED};nonce="{NONCE}";keyid="{KEY_ID}";alg="ed25519"'
    )
    assert headers["Signature"].startswith("sig1=:")
    assert headers["Signature"].endswith(":")


def test_a_signed_empty_body_verifies(key):
    headers = sign_request(key, KEY_ID, "GET", "/api/v1/config", b"", created=CREATED, nonce=NONCE)
    verify_request(key.public_key(), read_signature(headers), "GET", "/api/v1/config", b"")


def test_the_method_is_compared_case_insensitively(key):
    headers = sign_request(key, KEY_ID, "post", PATH, BODY, created=CREATED, nonce=NONCE)
    verify_request(key.public_key(), read_signature(headers), "POST", PATH, BODY)


def test_a_tampered_body_is_digest_mismatch(key, headers):
    assert signature_error(headers, key.public_key(), body=BODY.replace(b"[]", b"[{}]")) == "digest_mismatch"


def test_a_replaced_body_with_a_matching_digest_is_bad_signature(key, headers):
    forged_body = b'{"v":1,"responses":[{"forged":true}],"heartbeat":{}}'
    forged = dict(headers, **{"Content-Digest": content_digest(forged_body)})
    assert signature_error(forged, key.public_key(), body=forged_body) == "bad_signature"


def test_another_path_is_bad_signature(key, headers):
    assert signature_error(headers, key.public_key(), path="/api/v1/enroll") == "bad_signature"


def test_another_method_is_bad_signature(key, headers):
    assert signature_error(headers, key.public_key(), method="PUT") == "bad_signature"


def test_another_key_is_bad_signature(other_key, headers):
    assert signature_error(headers, other_key.public_key()) == "bad_signature"


@pytest.mark.parametrize(
    ("old", "new"),
    [(f"created={CREATED}", f"created={CREATED + 60}"), (NONCE, "other-nonce-1"), (KEY_ID, "dev-0002")],
    ids=["created", "nonce", "keyid"],
)
def test_changed_signature_parameters_are_bad_signature(key, headers, old, new):
    forged = dict(headers, **{"Signature-Input": headers["Signature-Input"].replace(old, new)})
    assert signature_error(forged, key.public_key()) == "bad_signature"


@pytest.mark.parametrize("size", [60, 66], ids=["short", "long"])
def test_a_signature_of_the_wrong_length_is_bad_signature(key, headers, size):
    forged = dict(headers, Signature="sig1=:" + base64.b64encode(bytes(size)).decode() + ":")
    assert signature_error(forged, key.public_key()) == "bad_signature"


@pytest.mark.parametrize("missing", ["Signature-Input", "Signature", "Content-Digest"])
def test_a_missing_header_is_missing_signature(headers, missing):
    del headers[missing]
    assert read_error(headers) == "missing_signature"


@pytest.mark.parametrize("empty", ["Signature-Input", "Signature", "Content-Digest"])
def test_an_empty_header_is_missing_signature(headers, empty):
    headers[empty] = ""
    assert read_error(headers) == "missing_signature"


def test_no_headers_at_all_is_missing_signature():
    assert read_error({}) == "missing_signature"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sig1=", "sig2="),
        ('"@method" "@path" "content-digest"', '"@method" "@path"'),
        ('"@method" "@path" "content-digest"', '"@path" "@method" "content-digest"'),
        ('alg="ed25519"', 'alg="rsa-pss-sha512"'),
        (f'nonce="{NONCE}"', 'nonce="short"'),
        (f'nonce="{NONCE}"', 'nonce="has space in it"'),
        (f'keyid="{KEY_ID}"', 'keyid="dev 0001"'),
        (f"created={CREATED}", "created=-5"),
        (f"created={CREATED}", "created=1234567890123"),
        (f';keyid="{KEY_ID}"', ""),
    ],
    ids=[
        "label",
        "fewer-components",
        "reordered-components",
        "alg",
        "short-nonce",
        "nonce-with-spaces",
        "keyid-with-space",
        "negative-created",
        "created-too-long",
        "no-keyid",
    ],
)
def test_a_malformed_signature_input_is_malformed_signature(headers, old, new):
    assert old in headers["Signature-Input"]
    headers["Signature-Input"] = headers["Signature-Input"].replace(old, new)
    assert read_error(headers) == "malformed_signature"


@pytest.mark.parametrize(
    "signature",
    [
        "sig1=" + "A" * 88,
        "sig2=:" + "A" * 86 + "==:",
        "sig1=:" + "!" * 88 + ":",
        "sig1=:" + "A" * 40 + "=" + "A" * 47 + ":",
        "sig1=:" + "A" * 81 + ":",
        "sig1=:" + "A" * 20 + ":",
        "sig1=:" + "-" * 86 + "__:",
    ],
    ids=["no-colons", "label", "not-base64", "padding-inside", "bad-length", "too-short", "base64url-not-base64"],
)
def test_a_malformed_signature_is_malformed_signature(headers, signature):
    headers["Signature"] = signature
    assert read_error(headers) == "malformed_signature"


@pytest.mark.parametrize("nonce", ["short", "x" * 65, "has space!", 'quote"s-nonce'])
def test_sign_request_refuses_a_nonce_that_is_not_8_to_64_url_safe_characters(key, nonce):
    with pytest.raises(ValueError, match="nonce"):
        sign_request(key, KEY_ID, METHOD, PATH, BODY, created=CREATED, nonce=nonce)


def signed_at(created: int) -> SignedRequest:
    return SignedRequest(key_id=KEY_ID, created=created, nonce=NONCE, params="", signature=b"", digest="")


@pytest.mark.parametrize("offset", [0, 1, -1, MAX_CLOCK_SKEW_SECONDS, -MAX_CLOCK_SKEW_SECONDS])
def test_a_created_time_inside_the_window_is_accepted(offset):
    assert check_created(signed_at(CREATED), now=CREATED + offset) is None


@pytest.mark.parametrize(
    "offset",
    [MAX_CLOCK_SKEW_SECONDS + 1, -(MAX_CLOCK_SKEW_SECONDS + 1), 86_400, -86_400],
    ids=["just-too-old", "just-too-far-ahead", "a-day-old", "a-day-ahead"],
)
def test_a_created_time_outside_the_window_is_stale_created(offset):
    with pytest.raises(SignatureError) as caught:
        check_created(signed_at(CREATED), now=CREATED + offset)
    assert (caught.value.code, caught.value.status) == ("stale_created", 401)


def test_check_created_accepts_a_fractional_now_just_inside():
    check_created(signed_at(CREATED), now=CREATED + MAX_CLOCK_SKEW_SECONDS + 0.0)
    with pytest.raises(SignatureError, match="stale_created"):
        check_created(signed_at(CREATED), now=CREATED + MAX_CLOCK_SKEW_SECONDS + 0.5)


def test_check_created_honours_a_narrower_window():
    check_created(signed_at(CREATED), now=CREATED + 30, max_skew=30)
    with pytest.raises(SignatureError, match="stale_created"):
        check_created(signed_at(CREATED), now=CREATED + 31, max_skew=30)


# --- keys -----------------------------------------------------------------------------------


def test_public_key_text_is_43_characters_of_base64url(key):
    text = public_key_text(key)
    assert len(text) == 43
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert unb64url(text) == key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_public_key_text_is_the_same_from_the_private_or_the_public_key(key):
    assert public_key_text(key) == public_key_text(key.public_key())


def test_a_loaded_public_key_verifies_what_its_private_key_signed(key, headers):
    loaded = load_public_key(public_key_text(key))
    verify_request(loaded, read_signature(headers), METHOD, PATH, BODY)
    assert public_key_text(loaded) == public_key_text(key)


@pytest.mark.parametrize(
    "text",
    ["", "AAAA", "A" * 44, "é" * 43, "!!!!", None, 42, b"A" * 43],
    ids=["empty", "3-bytes", "33-bytes", "non-ascii", "punctuation", "none", "number", "bytes"],
)
def test_a_public_key_that_is_not_32_bytes_of_base64url_is_bad_public_key(text):
    with pytest.raises(EnrollmentError) as caught:
        load_public_key(text)
    assert (caught.value.code, caught.value.status) == ("bad_public_key", 400)


def test_private_key_pem_round_trips(key):
    pem = private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = private_key_from_pem(pem)
    assert public_key_text(loaded) == public_key_text(key)
    headers = sign_request(loaded, KEY_ID, METHOD, PATH, BODY, created=CREATED, nonce=NONCE)
    verify_request(key.public_key(), read_signature(headers), METHOD, PATH, BODY)


def test_private_key_from_pem_refuses_another_key_type():
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="not an Ed25519"):
        private_key_from_pem(pem)


def test_private_key_from_pem_refuses_garbage():
    with pytest.raises(ValueError):
        private_key_from_pem(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")


def test_new_private_keys_differ():
    assert public_key_text(new_private_key()) != public_key_text(new_private_key())


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe\xfd", bytes(range(256))])
def test_b64url_round_trips_without_padding(data):
    text = b64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert unb64url(text) == data


# --- QR tokens ------------------------------------------------------------------------------


def test_a_token_reads_back_its_claims_and_key_id():
    token = make_token(CLAIMS, "k1", SECRET)
    assert read_token(token, {"k1": SECRET}, NOW) == {**CLAIMS, "k": "k1"}


def test_a_token_is_three_base64url_parts_after_v1():
    prefix, claims, mac = make_token(CLAIMS, "k1", SECRET).split(".")
    assert prefix == "v1"
    assert json.loads(unb64url(claims)) == {**CLAIMS, "k": "k1"}
    assert len(unb64url(mac)) == 32


def test_the_key_id_argument_wins_over_a_k_claim():
    token = make_token({**CLAIMS, "k": "evil"}, "k1", SECRET)
    assert read_token(token, {"k1": SECRET}, NOW)["k"] == "k1"


@pytest.mark.parametrize(("name", "value"), [("s", "B002"), ("e", NOW + 10**9), ("r", "R-4712")])
def test_tampered_claims_are_bad_token_signature(name, value):
    token = make_token(CLAIMS, "k1", SECRET)
    forged = reencode_claims(token, {**CLAIMS, name: value, "k": "k1"})
    assert token_error(forged, {"k1": SECRET}) == "bad_token_signature"


def test_a_replaced_mac_is_bad_token_signature():
    token = make_token(CLAIMS, "k1", SECRET)
    forged = token.rsplit(".", 1)[0] + "." + b64url(bytes(32))
    assert token_error(forged, {"k1": SECRET}) == "bad_token_signature"


def test_a_token_signed_with_another_secret_under_the_same_key_id_is_bad_token_signature():
    assert token_error(make_token(CLAIMS, "k1", OTHER_SECRET), {"k1": SECRET}) == "bad_token_signature"


def test_a_token_naming_an_unknown_key_id_is_unknown_token_key():
    assert token_error(make_token(CLAIMS, "k9", SECRET), {"k1": SECRET}) == "unknown_token_key"


def test_a_token_is_valid_until_the_second_before_expiry():
    token = make_token(CLAIMS, "k1", SECRET)
    assert read_token(token, {"k1": SECRET}, CLAIMS["e"] - 1)["s"] == "B001"
    assert read_token(token, {"k1": SECRET}, CLAIMS["e"] - 0.001)["s"] == "B001"


def test_a_token_at_its_expiry_second_is_expired():
    token = make_token(CLAIMS, "k1", SECRET)
    assert token_error(token, {"k1": SECRET}, now=CLAIMS["e"]) == "expired_token"


def test_a_token_after_its_expiry_is_expired():
    token = make_token(CLAIMS, "k1", SECRET)
    assert token_error(token, {"k1": SECRET}, now=CLAIMS["e"] + 86_400) == "expired_token"


@pytest.mark.parametrize("expiry", ["never", float(NOW + 3600), [NOW + 3600]], ids=["string", "float", "list"])
def test_a_token_with_a_non_integer_expiry_is_expired(expiry):
    token = make_token({**CLAIMS, "e": expiry}, "k1", SECRET)
    assert token_error(token, {"k1": SECRET}) == "expired_token"


def test_a_token_with_a_null_expiry_does_not_expire():
    token = make_token({**CLAIMS, "e": None}, "k1", SECRET)
    assert read_token(token, {"k1": SECRET}, 10**12)["e"] is None


def test_a_token_without_expiry_does_not_expire():
    claims = {key: value for key, value in CLAIMS.items() if key != "e"}
    token = make_token(claims, "k1", SECRET)
    assert read_token(token, {"k1": SECRET}, 10**12) == {**claims, "k": "k1"}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "v1.only-two",
        "v2.eyJrIjoiazEifQ.AAAA",
        "v1.a.b.c",
        "v1.!!!.AAAA",
        "v1.W10.AAAA",  # claims are a JSON list
        "v1.eyJzIjoiQjAwMSJ9.AAAA",  # {"s":"B001"}: no key id
        "v1.eyJrIjoxfQ.AAAA",  # {"k":1}: key id not a string
        "v1.eyJrIjoiazEifQ.A",  # mac is not base64
        "v1." + b64url(b"\xff\xfe\x00") + ".AAAA",  # claims are not UTF-8
        "v1." + "A" * 1100 + ".AAAA",
        None,
        12345,
        b"v1.eyJrIjoiazEifQ.AAAA",
    ],
    ids=[
        "empty",
        "garbage",
        "two-parts",
        "other-prefix",
        "four-parts",
        "claims-not-base64-json",
        "claims-a-list",
        "no-key-id",
        "key-id-a-number",
        "mac-not-base64",
        "claims-not-utf8",
        "too-long",
        "none",
        "number",
        "bytes",
    ],
)
def test_a_token_that_cannot_be_read_is_malformed_token(token):
    assert token_error(token, {"k1": SECRET}) == "malformed_token"


def test_a_token_signed_with_the_old_key_reads_while_the_old_key_is_kept():
    old_token = make_token(CLAIMS, "k1", SECRET)
    new_token = make_token(CLAIMS, "k2", OTHER_SECRET)
    rotated = {"k1": SECRET, "k2": OTHER_SECRET}
    assert read_token(old_token, rotated, NOW)["k"] == "k1"
    assert read_token(new_token, rotated, NOW)["k"] == "k2"


def test_a_token_signed_with_a_retired_key_is_unknown_token_key():
    old_token = make_token(CLAIMS, "k1", SECRET)
    assert token_error(old_token, {"k2": OTHER_SECRET}) == "unknown_token_key"


# --- derived keys -------------------------------------------------------------------------


def test_derive_key_is_hkdf_sha256_without_salt():
    # RFC 5869, test case 3 (no salt, no info), first 32 bytes of the output
    okm = derive_key(bytes.fromhex("0b" * 22), "")
    assert okm.hex() == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"


@pytest.mark.parametrize(
    ("label", "key"),
    [
        # printed QR codes and sealed contacts depend on these exact bytes
        ("voxloop qr k1", "e48552cce9458dec3bc6458e992d0dd24b69629195cfa420fe26721e68327066"),
        ("voxloop contact v1", "dcf75d67ad57c82101c734861d99f7d9c58d6fa5c24b7d016f6286aa8c19d590"),
        ("voxloop phone ticket", "16c216af7d4debf4529afaeba9268cf4674bbebdb2d108a879b2d1789929f6a6"),
        ("voxloop phone csrf", "c0bc082c62f1f30c4d50f7c449df905ed8cc3b93bcb3dc5305fc3b6a4e7d6f28"),
    ],
)
def test_derive_key_gives_the_keys_already_in_use(label, key):
    assert derive_key("test secret", label).hex() == key


def test_derive_key_takes_text_or_bytes_and_separates_labels():
    assert derive_key("test secret", "a") == derive_key(b"test secret", "a")
    assert derive_key("test secret", "a") != derive_key("test secret", "b")
    assert len(derive_key("test secret", "a")) == 32
