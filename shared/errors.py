"""Every error voxloop reports, with a stable code, defined once.

A code never changes meaning once released; clients (terminals, the phone page, BI tools)
branch on it. The HTTP status and the human title live next to it in ``CODES`` so the hub
turns any ``VoxloopError`` into RFC 9457 problem details with one handler.

The hierarchy, by what the caller should do about it::

    VoxloopError                 anything voxloop refuses, carries .code .status .detail
     ├── RequestError            the request as a whole is unusable: fix the client
     │    (malformed_json, wrong_content_type, body_too_large, unsupported_protocol,
     │     batch_too_large, malformed_batch, malformed_request, bad_parameter)
     ├── SignatureError          who sent it cannot be trusted: re-sign, re-enroll
     │    (missing_signature, malformed_signature, bad_signature, digest_mismatch,
     │     stale_created, replayed_nonce, unknown_device, revoked_device)
     ├── EnrollmentError         the enrollment code cannot be used
     │    (unknown_code, expired_code, used_code, bad_public_key)
     ├── TokenError              a QR token cannot be used
     │    (malformed_token, bad_token_signature, unknown_token_key, expired_token,
     │     token_used, ticket_used, continuation_used, continuation_expired)
     ├── RateLimited             too many requests: wait ``retry_after`` seconds (rate_limited)
     ├── FormError               a form post cannot be trusted: reload the page (csrf_failed)
     ├── NotFound                (not_found, unknown_store, unknown_touchpoint)
     ├── AlreadyExists           (already_exists)
     ├── RuleError               an alert rule that cannot work (invalid_rule,
     │                               webhook_address_not_allowed)
     └── CaseStateError          a case step out of order, e.g. resolving twice (case_state)

Validation of single items does not raise: it returns ``Problem`` values (same code table),
because one bad item in a batch must not cost the good ones.
"""

from __future__ import annotations

from dataclasses import dataclass

# code -> (HTTP status, title). Item-level codes use 422: they appear inside a 200 sync result.
CODES: dict[str, tuple[int, str]] = {
    # request as a whole
    "malformed_json": (400, "The request body is not valid JSON."),
    "wrong_content_type": (415, "The request body must be application/json."),
    "body_too_large": (413, "The request body is larger than the hub accepts."),
    "unsupported_protocol": (400, "The protocol version is not supported by this hub."),
    "batch_too_large": (413, "The batch holds more responses than the hub accepts at once."),
    "malformed_batch": (400, "The batch envelope does not have the required shape."),
    "malformed_request": (400, "The request does not have the required shape."),
    "bad_parameter": (400, "A query parameter is not valid; the problem's parameter names it."),
    # signatures and devices
    "missing_signature": (401, "The request is not signed."),
    "malformed_signature": (401, "The signature headers cannot be parsed."),
    "bad_signature": (401, "The signature does not verify."),
    "digest_mismatch": (401, "The body does not match its Content-Digest."),
    "stale_created": (401, "The signature's created time is too far from the hub's clock."),
    "replayed_nonce": (401, "The signature's nonce was already used."),
    "unknown_device": (401, "No terminal is enrolled under this key id."),
    "revoked_device": (403, "This terminal has been revoked."),
    # enrollment
    "unknown_code": (400, "The enrollment code is not known."),
    "expired_code": (400, "The enrollment code has expired."),
    "used_code": (400, "The enrollment code was already used."),
    "bad_public_key": (400, "The public key is not a valid Ed25519 key."),
    # QR tokens
    "malformed_token": (400, "The token cannot be read."),
    "bad_token_signature": (400, "The token's signature does not verify."),
    "unknown_token_key": (400, "The token was signed with a key the hub does not know."),
    "expired_token": (400, "The token has expired."),
    "token_used": (410, "This receipt's feedback link was already used for a response."),
    "ticket_used": (409, "This page has sent its response already; load the page again to answer again."),
    "continuation_used": (410, "This tap was already continued on a phone."),
    "continuation_expired": (410, "This code continued its tap for two hours and has expired."),
    # abuse protection
    "rate_limited": (429, "Too many requests; wait and try again."),
    "csrf_failed": (403, "The form could not be verified; reload the page and send it again."),
    # people signing in
    "bad_credentials": (401, "The email address or the password is not right."),
    "too_many_attempts": (429, "Too many failed sign-ins; wait a while and try again."),
    "sign_in_required": (401, "Sign in first."),
    "forbidden": (403, "Your role may not do this."),
    # API tokens (hub/services/api_tokens.py)
    "bad_api_token": (401, "The API token is not known, was revoked or belongs to a person switched off."),
    "insufficient_scope": (403, "The API token's scopes do not allow this request."),
    "bad_token_request": (422, "The API token cannot be made as asked."),
    # lookups
    "not_found": (404, "Not found."),
    "unknown_store": (404, "The store is not known."),
    "unknown_touchpoint": (404, "The touchpoint is not known."),
    "already_exists": (409, "Something with this code exists already."),
    # alerts and cases
    "invalid_rule": (422, "The alert rule cannot be used as given."),
    "webhook_address_not_allowed": (422, "The webhook URL points at an internal address the hub may not call."),
    "case_state": (409, "The case is not in a state that allows this."),
    # actions (hub/services/actions.py)
    "invalid_action": (422, "The action, task or comment cannot be saved as given."),
    "action_state": (409, "The action is not in a state that allows this."),
    # operational measures (hub/services/measures.py)
    "invalid_measures": (422, "The measure values cannot be stored as given; nothing was stored."),
    "unknown_measure": (404, "The measure is not known."),
    "measure_conflict": (409, "The measure exists with another kind or grain."),
    # invitations (hub/services/invitations.py)
    "invalid_invitations": (422, "The invitations cannot be made as given; none was made."),
    "method_not_allowed": (405, "The method is not allowed for this resource."),
    "internal_error": (500, "The hub failed to process the request; nothing was stored."),
    "database_unavailable": (503, "The database is unavailable; nothing was stored. Retry."),
    # items inside a batch (reported per item, never raised)
    "not_an_object": (422, "The item is not a JSON object."),
    "missing_field": (422, "A required field is missing."),
    "wrong_type": (422, "A field has the wrong type."),
    "bad_id": (422, "The response id is not a UUID."),
    "bad_time": (422, "The time is not an RFC 3339 timestamp with a zone."),
    "unknown_channel": (422, "The channel is not known."),
    "unknown_survey": (422, "The survey or its version is not known."),
    "wrong_store": (422, "The response names a store this sender may not write to."),
    "wrong_touchpoint": (422, "The response names a touchpoint its store does not have."),
    "unknown_question": (422, "The answer names a question the survey does not have."),
    "wrong_kind": (422, "The answer's kind differs from the question's kind."),
    "duplicate_answer": (422, "The same question is answered twice."),
    "value_out_of_range": (422, "The value is outside the question's range."),
    "unknown_option": (422, "The choice names an option the question does not offer."),
    "too_many_options": (422, "The question allows one option only."),
    "comment_too_long": (422, "The comment is longer than the limit."),
    "no_answers": (422, "The response holds no answers."),
    "missing_required": (422, "A required question is not answered."),
    "bad_contact": (422, "The contact is malformed or has no consent."),
    "unknown_flag": (422, "The flag is not known."),
    "bad_sequence": (422, "The device sequence number is missing or not a positive integer."),
    "bad_text": (422, "A string is not valid Unicode."),
    "bad_locale": (422, "The locale is not a language tag."),
    "invalid_measure": (422, "The measure's definition cannot be used."),
    "duplicate_period": (422, "The same store, measure and period come twice in the batch."),
    "malformed_row": (422, "The row does not have the file's shape."),
    "response_conflict": (409, "A response with this id exists with different content."),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one item, found by validation; ``path`` points into the item."""

    code: str
    message: str
    path: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "path": self.path}


class VoxloopError(Exception):
    """Something voxloop refuses. ``code`` is stable, ``detail`` says what exactly."""

    def __init__(self, code: str, detail: str | None = None, **extra: object) -> None:
        if code not in CODES:
            raise ValueError(f"unregistered error code {code!r}")
        self.code = code
        self.status, self.title = CODES[code]
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(f"{code}: {self.detail}")


class RequestError(VoxloopError):
    """The request as a whole cannot be used."""


class SignatureError(VoxloopError):
    """The sender cannot be trusted."""


class EnrollmentError(VoxloopError):
    """The enrollment code cannot be used."""


class TokenError(VoxloopError):
    """A QR token cannot be used."""


class RateLimited(VoxloopError):
    """Too many requests from one client address or for one token; ``retry_after`` seconds."""

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__("rate_limited", detail, retry_after=retry_after)
        self.retry_after = retry_after


class FormError(VoxloopError):
    """A form post cannot be trusted (its CSRF check failed)."""


class NotFound(VoxloopError):
    """The thing asked for does not exist (or the caller may not know it does)."""


class AlreadyExists(VoxloopError):
    """The thing to create exists already (a store or touchpoint code is taken)."""


class RuleError(VoxloopError):
    """An alert rule that cannot work: an impossible condition, an unknown scope, a bad channel."""

    def __init__(self, detail: str, field: str = "", code: str = "invalid_rule") -> None:
        super().__init__(code, detail, field=field)
        self.field = field


class CaseStateError(VoxloopError):
    """A case step that its state does not allow (resolving a resolved case)."""

    def __init__(self, detail: str) -> None:
        super().__init__("case_state", detail)
