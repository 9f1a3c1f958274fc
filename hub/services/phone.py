"""What the phone page (mobile_web) asks of the hub, named in one place.

mobile_web is served by the hub but is its own part: it reaches the hub's logic only through
the functions listed here (and the web plumbing every blueprint uses: the clock, problem
details, the request body reader, the app's state), so a change behind this list cannot break
the phone page unnoticed. tests/test_import_directions.py holds it to that.
"""

from __future__ import annotations

from hub.services.catalog import store_by_code, touchpoint_by_code
from hub.services.continuations import ContinuedTap, open_continuation, record_follow_up, tap_so_far
from hub.services.phone_responses import (
    PhoneTouchpoint,
    RateLimits,
    address_bucket,
    open_touchpoint,
    receipt_answered,
    record_phone_response,
)
from hub.services.posters import poster_for, valid_through
from hub.services.qr_codes import ascii_qr, write_poster
from hub.services.qr_tokens import QrKeys, make_phone_token, phone_url, pinned_secrets, read_phone_token

# the continuation of a tap (open its code, what the hub holds of it, store the follow-up),
# the conversation (open a touchpoint from its token, store answers, rate limits), QR tokens
# (read them, make them for posters and receipts, list the key ring), the store and
# touchpoint a poster is for, the poster and QR codes drawn (``voxloop qr``)
__all__ = [
    "ContinuedTap",
    "PhoneTouchpoint",
    "QrKeys",
    "RateLimits",
    "address_bucket",
    "ascii_qr",
    "make_phone_token",
    "open_continuation",
    "open_touchpoint",
    "phone_url",
    "pinned_secrets",
    "poster_for",
    "read_phone_token",
    "receipt_answered",
    "record_follow_up",
    "record_phone_response",
    "store_by_code",
    "tap_so_far",
    "touchpoint_by_code",
    "valid_through",
    "write_poster",
]
