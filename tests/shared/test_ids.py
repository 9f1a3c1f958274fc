"""Response ids: UUIDv7 (RFC 9562) made from a passed-in clock and passed-in randomness."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ids import is_uuid, uuid7

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 9, 15, 2, 120_000, tzinfo=UTC)
RANDOM = bytes(range(10))

aware_times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))
random_bytes = st.binary(min_size=10, max_size=10)


def unix_ms(value: datetime) -> int:
    return (value - EPOCH) // timedelta(milliseconds=1)


def test_uuid7_has_version_7():
    assert uuid.UUID(uuid7(NOW, RANDOM)).version == 7


def test_uuid7_has_the_rfc_variant():
    assert uuid.UUID(uuid7(NOW, RANDOM)).variant == uuid.RFC_4122


def test_uuid7_is_the_canonical_wire_form():
    value = uuid7(NOW, RANDOM)
    assert is_uuid(value)
    assert value == value.lower()
    assert value[14] == "7"


@given(now=aware_times, rand=random_bytes)
def test_uuid7_version_and_variant_hold_for_any_input(now, rand):
    parsed = uuid.UUID(uuid7(now, rand))
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


@given(now=aware_times, rand=random_bytes)
def test_uuid7_leading_48_bits_are_the_unix_millisecond(now, rand):
    assert uuid.UUID(uuid7(now, rand)).int >> 80 == unix_ms(now)


def test_uuid7_keeps_the_millisecond_where_float_timestamps_round_wrong():
    # int(timestamp() * 1000) gives ...772 for the first and ...827 for the second
    late = datetime(2038, 5, 25, 20, 49, 28, 773_000, tzinfo=UTC)
    later = datetime(2359, 4, 22, 20, 35, 27, 826_999, tzinfo=UTC)
    assert uuid.UUID(uuid7(late, RANDOM)).int >> 80 == unix_ms(late)
    assert uuid.UUID(uuid7(later, RANDOM)).int >> 80 == unix_ms(later)


def test_uuid7_reads_a_naive_now_as_local_time_like_timestamp_does():
    naive = datetime(2026, 11, 23, 9, 15, 2, 120_000)
    assert uuid.UUID(uuid7(naive, RANDOM)).int >> 80 == round(naive.timestamp() * 1000)


def test_uuid7_of_a_known_millisecond():
    # 2026-11-23T09:15:02.120Z is 1795425302120 ms after the epoch = 0x01a2_07af_f668
    assert unix_ms(NOW) == 1_795_425_302_120
    assert uuid7(NOW, bytes(10)).startswith("01a207af-f668-7000-8000-")


def test_uuid7_takes_its_random_bits_from_the_given_bytes():
    all_ones = uuid.UUID(uuid7(NOW, b"\xff" * 10)).int
    all_zeros = uuid.UUID(uuid7(NOW, bytes(10))).int
    assert (all_ones >> 64) & 0xFFF == 0xFFF  # rand_a
    assert all_ones & ((1 << 62) - 1) == (1 << 62) - 1  # rand_b
    assert (all_zeros >> 64) & 0xFFF == 0
    assert all_zeros & ((1 << 62) - 1) == 0


def test_uuid7_is_deterministic_for_the_same_inputs():
    assert uuid7(NOW, RANDOM) == uuid7(NOW, RANDOM)


def test_uuid7_differs_for_other_random_bytes_in_the_same_millisecond():
    assert uuid7(NOW, RANDOM) != uuid7(NOW, bytes(reversed(RANDOM)))


def test_uuid7_uses_only_the_first_ten_random_bytes():
    assert uuid7(NOW, RANDOM + b"extra") == uuid7(NOW, RANDOM)


@pytest.mark.parametrize("size", [0, 1, 9])
def test_uuid7_refuses_fewer_than_ten_random_bytes(size):
    with pytest.raises(ValueError, match="10 random bytes"):
        uuid7(NOW, bytes(size))


def test_uuid7_means_the_same_instant_in_any_zone():
    plus_five = NOW.astimezone(timezone(timedelta(hours=5)))
    minus_eight = NOW.astimezone(timezone(timedelta(hours=-8)))
    assert uuid7(plus_five, RANDOM) == uuid7(minus_eight, RANDOM) == uuid7(NOW, RANDOM)


def test_ids_made_in_increasing_milliseconds_sort_increasing_as_strings():
    times = [NOW + timedelta(milliseconds=step) for step in (0, 1, 2, 999, 1000, 86_400_000)]
    # the later id gets the smaller random bytes, so only the time can order them
    ids = [uuid7(t, bytes([255 - i] * 10)) for i, t in enumerate(times)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@given(first=aware_times, gap_ms=st.integers(min_value=1, max_value=10**9), rand_a=random_bytes, rand_b=random_bytes)
def test_a_later_millisecond_always_sorts_after_whatever_the_random_bytes(first, gap_ms, rand_a, rand_b):
    second = first + timedelta(milliseconds=gap_ms)
    if second.year > 9999 or unix_ms(second) >= 1 << 48:
        return
    assert uuid7(first, rand_a) < uuid7(second, rand_b)


def test_is_uuid_accepts_canonical_lower_case():
    assert is_uuid("0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b")


def test_is_uuid_accepts_a_version_4_uuid_too():
    assert is_uuid(str(uuid.UUID(int=0x1234, version=4)))


def test_is_uuid_rejects_upper_case():
    assert not is_uuid("0190A4B2-6F3E-7C21-9A5B-3C4D5E6F7A8B")


def test_is_uuid_rejects_mixed_case():
    assert not is_uuid("0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7A8b")


def test_is_uuid_rejects_the_form_without_hyphens():
    assert not is_uuid("0190a4b26f3e7c219a5b3c4d5e6f7a8b")


@pytest.mark.parametrize(
    "text",
    [
        "{0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b}",
        "urn:uuid:0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b",
        " 0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b",
        "0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b\n",
        "0190a4b26-f3e-7c21-9a5b-3c4d5e6f7a8b",  # right length, hyphen in the wrong place
        "0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8g",  # not hex
        "0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8",  # one short
        "",
    ],
)
def test_is_uuid_rejects_other_spellings(text):
    assert not is_uuid(text)


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        uuid.UUID("0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b"),
        b"0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b",
        ["0190a4b2-6f3e-7c21-9a5b-3c4d5e6f7a8b"],
    ],
    ids=["none", "int", "uuid-object", "bytes", "list"],
)
def test_is_uuid_rejects_non_strings(value):
    assert not is_uuid(value)
