"""The hub's tables as peewee models. The schema itself is made by hub/migrations; a test
checks that these models and the migrated schema agree on every table and column."""

from __future__ import annotations

import json
import uuid
from typing import Any

from peewee import AutoField as _AutoField
from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CompositeKey,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)

from hub.db import database


class JSONText(TextField):
    """JSON kept in a TEXT column (the same on SQLite and PostgreSQL)."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class UUIDText(UUIDField):
    """A UUID kept in its canonical hyphenated form, the form ingest writes and the wire uses
    (peewee's UUIDField writes 32 bare hex digits on SQLite, which never matches a stored id)."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        try:
            return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            return value


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Region(BaseModel):
    id = _AutoField()
    name = TextField(unique=True)


class Store(BaseModel):
    id = _AutoField()
    code = TextField(unique=True)
    name = TextField()
    region = ForeignKeyField(Region, null=True, backref="stores")
    time_zone = TextField()
    opening_hours = JSONText()  # {"mon": [["08:00", "20:00"]], ...} in the store's time zone
    languages = JSONText()  # ["de", "en"], first is the default
    created_at = DateTimeField()
    # its public holidays are closed days (v0013): ISO country code and subdivision, both optional
    country = TextField(null=True)
    subdivision = TextField(null=True)


class Survey(BaseModel):
    id = _AutoField()
    key = TextField(unique=True)
    name = TextField()
    current_version = IntegerField()


class SurveyVersion(BaseModel):
    id = _AutoField()
    survey = ForeignKeyField(Survey, backref="versions")
    version = IntegerField()
    definition = JSONText()
    created_at = DateTimeField()


class Touchpoint(BaseModel):
    id = _AutoField()
    store = ForeignKeyField(Store, backref="touchpoints")
    code = TextField()
    name = TextField()
    kind = TextField()  # exit, checkout, poster, receipt, table
    survey = ForeignKeyField(Survey)


class Terminal(BaseModel):
    """An enrolled exit terminal; its id is the key id of its signatures."""

    id = TextField(primary_key=True)
    store = ForeignKeyField(Store, backref="terminals")
    touchpoint = ForeignKeyField(Touchpoint)
    name = TextField()
    public_key = TextField()
    status = TextField()  # active, revoked
    enrolled_at = DateTimeField()
    revoked_at = DateTimeField(null=True)
    last_seen_at = DateTimeField(null=True)
    app_version = TextField(null=True)
    queue_depth = IntegerField(null=True)
    quarantined = IntegerField(null=True)
    last_error = TextField(null=True)
    clock_offset_ms = IntegerField(null=True)
    last_seq = IntegerField(default=0)
    seq_ranges = JSONText(default=list)  # [[first, last], ...] of sequence numbers received
    seq_closed = JSONText(default=list)  # ... it will never send: refused, quarantined or forgotten
    missing_from = IntegerField(default=1)  # where the next page of missing ranges starts
    silent_since = DateTimeField(null=True)  # flagged: no sign of life while its store is open


class EnrollmentCode(BaseModel):
    id = _AutoField()
    code_hash = TextField(unique=True)
    store = ForeignKeyField(Store)
    touchpoint = ForeignKeyField(Touchpoint)
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
    terminal = ForeignKeyField(Terminal, null=True)


class Response(BaseModel):
    id = UUIDText(primary_key=True)
    store = ForeignKeyField(Store)
    touchpoint = ForeignKeyField(Touchpoint)
    terminal = ForeignKeyField(Terminal, null=True)
    channel = TextField()
    survey = ForeignKeyField(Survey)
    survey_version = IntegerField()
    captured_at = DateTimeField()
    received_at = DateTimeField()
    local_day = DateField()
    locale = TextField()
    seq = IntegerField(null=True)
    flags = TextField()  # space-separated, sorted
    content_hash = TextField()
    contact_sealed = BlobField(null=True)


class Answer(BaseModel):
    id = _AutoField()
    response = ForeignKeyField(Response, backref="answers")
    question = TextField()
    kind = TextField()
    number = IntegerField(null=True)
    text = TextField(null=True)


class RollupDaily(BaseModel):
    """Counts per answer value per store, touchpoint, channel, question and local day."""

    store = ForeignKeyField(Store)
    touchpoint = ForeignKeyField(Touchpoint)
    channel = TextField()
    question = TextField()
    day = DateField()
    value = TextField()
    count = IntegerField()

    class Meta:
        primary_key = CompositeKey("store", "touchpoint", "channel", "question", "day", "value")


class SuspectDaily(RollupDaily):
    """rollup_daily's counts for the responses flagged ``suspect``, which the other rollups
    leave out (hub/services/rollups.py)."""

    class Meta:
        table_name = "suspect_daily"


class SuspectMonthly(BaseModel):
    """suspect_daily's counts by question, store and month, whatever the value (``day`` is
    the month's first day; migration v0036): a period's count of suspect responses."""

    question = TextField()
    day = DateField()
    store_id = IntegerField()
    count = IntegerField()

    class Meta:
        table_name = "suspect_monthly"
        primary_key = CompositeKey("question", "day", "store_id")


class ResponseConflict(BaseModel):
    id = _AutoField()
    response_id = UUIDText()
    terminal = ForeignKeyField(Terminal, null=True)
    content_hash = TextField()
    body = TextField()
    received_at = DateTimeField()


class SyncLog(BaseModel):
    id = _AutoField()
    terminal = ForeignKeyField(Terminal, backref="sync_logs")
    received_at = DateTimeField()
    accepted = IntegerField()
    duplicates = IntegerField()
    conflicts = IntegerField()
    invalid = IntegerField()
    problems = JSONText()


class SeenNonce(BaseModel):
    terminal = ForeignKeyField(Terminal)
    nonce = TextField()
    created_at = DateTimeField()

    class Meta:
        primary_key = CompositeKey("terminal", "nonce")


class User(BaseModel):
    # team_lead and agent: the contact centre's people (hub/services/contact_centre.py)
    ROLES = ("hq_admin", "hq_analyst", "regional_manager", "store_manager", "team_lead", "agent")

    id = _AutoField()
    email = TextField(unique=True)
    name = TextField()
    role = TextField()
    password_hash = TextField()
    active = BooleanField()
    created_at = DateTimeField()
    report_frequency = TextField(default="weekly")  # weekly | daily | off (hub/services/reports.py)
    language = TextField(null=True)  # de | en, or None: the browser's (hub/i18n.py)
    # named by every session of this person; raised to end them all (hub/auth/guard.py)
    session_version = IntegerField(default=0)

    class Meta:
        table_name = "app_user"


class UserStore(BaseModel):
    user = ForeignKeyField(User)
    store = ForeignKeyField(Store)

    class Meta:
        primary_key = CompositeKey("user", "store")


class PhoneReceipt(BaseModel):
    """The response that used a receipt-bound QR token (one per receipt)."""

    store = ForeignKeyField(Store)
    receipt = TextField()
    response = ForeignKeyField(Response)
    claimed_at = DateTimeField()

    class Meta:
        primary_key = CompositeKey("store", "receipt")


class PhoneRateLimit(BaseModel):
    """A fixed-window request counter of the phone page (per token, per client address)."""

    bucket = TextField(primary_key=True)
    window_start = BigIntegerField()
    hits = IntegerField()


class PhoneTicket(BaseModel):
    """The response a served phone page (its signed ticket, by digest) was used for."""

    ticket = TextField(primary_key=True)
    response_id = UUIDText()
    used_at = DateTimeField()


class PhoneBurst(BaseModel):
    """A new phone response of a client address bucket, kept for the burst window only."""

    bucket = TextField()
    response_id = UUIDText()
    at = DateTimeField()

    class Meta:
        primary_key = CompositeKey("bucket", "response_id")


ALL_MODELS = [
    Region,
    Store,
    Survey,
    SurveyVersion,
    Touchpoint,
    Terminal,
    EnrollmentCode,
    Response,
    Answer,
    RollupDaily,
    ResponseConflict,
    SyncLog,
    SeenNonce,
    User,
    UserStore,
    PhoneReceipt,
    PhoneRateLimit,
]


class LoginAttempt(BaseModel):
    id = _AutoField()
    email = TextField()
    address = TextField()
    attempted_at = DateTimeField()
    succeeded = BooleanField()


class UserRegion(BaseModel):
    """A regional manager sees every store of the regions linked here."""

    user = ForeignKeyField(User)
    region = ForeignKeyField(Region)

    class Meta:
        primary_key = CompositeKey("user", "region")


ALL_MODELS += [LoginAttempt, UserRegion]


class PasswordReset(BaseModel):
    """A request for a password reset link (hub/services/password_resets.py): only the SHA-256
    of the link's token is kept; no person and no token when the email was nobody's."""

    id = _AutoField()
    user = ForeignKeyField(User, null=True)
    token_hash = TextField(null=True, unique=True)
    address = TextField()
    requested_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "requested_at"), False), (("address", "requested_at"), False))


ALL_MODELS += [PasswordReset]


# --- alerts and cases (hub/services/alerts, hub/services/cases.py; migration v0004) ---------


class AlertRule(BaseModel):
    """When HQ wants to hear about feedback, for which stores, and how fast someone must react.

    ``kind`` is ``response`` (one response matches ``condition``: checked as it is ingested) or
    ``window`` (the responses of a recent window match: checked by a job). The scope is every
    store (``all``) or one region, store, touchpoint or survey. Conditions:
    hub/services/alerts/conditions.py."""

    id = _AutoField()
    key = TextField(null=True, unique=True)  # the defaults made by `hub init`: very_unhappy, ...
    name = TextField()
    kind = TextField()  # response | window
    scope = TextField()  # all | region | store | touchpoint | survey
    region = ForeignKeyField(Region, null=True)
    store = ForeignKeyField(Store, null=True)
    touchpoint = ForeignKeyField(Touchpoint, null=True)
    survey = ForeignKeyField(Survey, null=True)
    condition = JSONText()
    email = BooleanField()  # mail the people the case is routed to
    webhook_url = TextField(null=True)
    webhook_format = TextField(null=True)  # json | slack | teams
    webhook_secret = TextField(null=True)  # signs the body (X-Voxloop-Signature)
    throttle_minutes = IntegerField()  # at most one message per store, rule and recipient per this
    sla_minutes = IntegerField()  # acknowledge within this, or the case escalates
    quiet_hours = BooleanField()  # outside the store's opening hours, wait for the next opening
    active = BooleanField()
    created_at = DateTimeField()
    updated_at = DateTimeField()


class Case(BaseModel):
    """What one or more alerts of one rule at one store ask someone to do: open ->
    acknowledged -> resolved. At most one case per store and rule is not resolved."""

    id = _AutoField()
    store = ForeignKeyField(Store)
    rule = ForeignKeyField(AlertRule)
    state = TextField()  # open | acknowledged | resolved
    opened_at = DateTimeField()
    last_alert_at = DateTimeField()
    alert_count = IntegerField()  # responses (or window alerts) behind it
    ack_due_at = DateTimeField(null=True)  # escalates at this time unless acknowledged
    escalation_level = IntegerField()  # 0 store managers, 1 regional managers, 2 HQ admins
    misrouted = BooleanField()  # no active store manager: routed straight to the next level
    summary = JSONText(null=True)  # a window alert's figures
    assignee = ForeignKeyField(User, null=True, backref="+")
    acknowledged_at = DateTimeField(null=True)
    acknowledged_by = ForeignKeyField(User, null=True, backref="+")
    called_back_at = DateTimeField(null=True)
    called_back_by = ForeignKeyField(User, null=True, backref="+")
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(User, null=True, backref="+")
    resolution_category = TextField(null=True)
    resolution_note = TextField(null=True)

    class Meta:
        table_name = "alert_case"


class CaseResponse(BaseModel):
    """A response in a case: at most one case per response (unique index, v0014)."""

    case = ForeignKeyField(Case)
    response = ForeignKeyField(Response, on_delete="CASCADE", unique=True)
    joined_at = DateTimeField(null=True)  # links older than v0014: when their case opened
    captured_at = DateTimeField(null=True)  # the response's, for the case's latest (v0034); set on every link

    class Meta:
        primary_key = CompositeKey("case", "response")


class CaseEvent(BaseModel):
    """The case's audit trail: who did what when (user is null for the hub itself)."""

    id = _AutoField()
    case = ForeignKeyField(Case, backref="events")
    at = DateTimeField()
    user = ForeignKeyField(User, null=True)
    action = TextField()  # opened, alerted, escalated, acknowledged, assigned, commented, called_back, ...
    text = TextField(null=True)
    data = JSONText(null=True)


class OutboxMessage(BaseModel):
    """A message to send (email or webhook), written in the transaction that caused it and
    delivered by the delivery job: pending -> sending -> sent, or retry (after a failed
    attempt) and in the end failed (undeliverable: shown to HQ)."""

    id = _AutoField()
    kind = TextField()  # alert, escalation, digest, close_loop, test
    channel = TextField()  # email | webhook
    recipient = TextField()  # an email address, a URL, or "customer" (opened at sending)
    user = ForeignKeyField(User, null=True)
    case = ForeignKeyField(Case, null=True)
    rule = ForeignKeyField(AlertRule, null=True)
    store = ForeignKeyField(Store, null=True)
    group_key = TextField(null=True)  # alerts of one store, rule and recipient gather here
    dedupe_key = TextField(null=True, unique=True)  # a message that must exist once (escalation, digest)
    payload = JSONText()
    state = TextField()
    item_count = IntegerField()
    deliver_after = DateTimeField()  # not before (throttle, opening hours)
    due_at = DateTimeField()  # the next attempt
    attempts = IntegerField()
    claimed_until = DateTimeField(null=True)
    claimed_by = TextField(null=True)
    last_error = TextField(null=True)
    created_at = DateTimeField()
    sent_at = DateTimeField(null=True)


class OutboxItem(BaseModel):
    """A response a message reports (a grouped alert reports several)."""

    message = ForeignKeyField(OutboxMessage)
    response = ForeignKeyField(Response, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("message", "response")


ALL_MODELS += [AlertRule, Case, CaseResponse, CaseEvent, OutboxMessage, OutboxItem]


class JobRun(BaseModel):
    """When a background job last ran and succeeded, and how often it failed (hub/services/job_runs.py)."""

    name = TextField(primary_key=True)
    worker = TextField()
    last_run_at = DateTimeField()
    last_success_at = DateTimeField(null=True)
    failures = IntegerField(default=0)


ALL_MODELS += [JobRun]


# --- insights (hub/services/rollups.py, targets, signals; migration v0005) ------------------
# The rollups keep one row per key with a count column per answer value; ``store_id = 0``
# rows hold the total over every store (so the column is no foreign key).


def _value_columns(first: int, last: int) -> dict[str, IntegerField]:
    return {f"v{k}": IntegerField(default=0) for k in range(first, last + 1)}


class ScoreDaily(BaseModel):
    """Numeric answers (smiley, CSAT, NPS) per question, local day, store and channel."""

    question = TextField()
    day = DateField()
    store_id = IntegerField()
    channel = TextField()
    n = IntegerField()
    locals().update(_value_columns(0, 10))

    class Meta:
        primary_key = CompositeKey("question", "day", "store_id", "channel")


class ScoreMonthly(ScoreDaily):
    """score_daily summed by calendar month (``day`` is the month's first day; migration
    v0031), so a year of a store is 12 rows: hub/queries/scores.py reads whole months here.
    score_daily's columns and key."""

    class Meta:
        table_name = "score_monthly"


class ScoreWeekly(ScoreDaily):
    """score_daily summed by ISO week (``day`` is the week's Monday; migration v0033), so the
    whole weeks at a period's edges are one row: hub/queries/scores.py reads them here.
    score_daily's columns and key."""

    class Meta:
        table_name = "score_weekly"


class HourDaily(BaseModel):
    """The smiley answers per local day, store and local hour of capture."""

    day = DateField()
    store_id = IntegerField()
    hour = IntegerField()
    n = IntegerField()
    locals().update(_value_columns(1, 5))

    class Meta:
        primary_key = CompositeKey("day", "store_id", "hour")


class ReasonDaily(BaseModel):
    """Responses that chose an option of a choice question, by the smiley face they gave."""

    question = TextField()
    day = DateField()
    store_id = IntegerField()
    option = TextField()
    n = IntegerField()
    locals().update(_value_columns(1, 5))

    class Meta:
        primary_key = CompositeKey("question", "day", "store_id", "option")


class ReasonPairDaily(BaseModel):
    """Responses that chose two options of a choice question, by their smiley face (both ''
    : those that chose any option)."""

    question = TextField()
    day = DateField()
    store_id = IntegerField()
    option = TextField()
    other = TextField()
    n = IntegerField()
    locals().update(_value_columns(1, 5))

    class Meta:
        primary_key = CompositeKey("question", "day", "store_id", "option", "other")


class TermDaily(BaseModel):
    """Comments holding a term (word or two-word phrase) per local day, store and language."""

    day = DateField()
    store_id = IntegerField()
    language = TextField()
    term = TextField()
    n = IntegerField()
    negative = IntegerField()  # of those comments, how many came with an unhappy face
    positive = IntegerField()  # ... with a happy face
    sentiment = DoubleField()  # the sum of the comments' sentiment, each in [-1, 1]

    class Meta:
        primary_key = CompositeKey("day", "store_id", "language", "term")


class Target(BaseModel):
    """What a KPI should reach, for everyone (``all``) or one region, store or touchpoint."""

    KPIS = ("smiley_index", "csat", "nps", "volume")

    id = _AutoField()
    kpi = TextField()
    scope_key = TextField()  # all | region:<id> | store:<id> | touchpoint:<id>
    region = ForeignKeyField(Region, null=True)
    store = ForeignKeyField(Store, null=True)
    touchpoint = ForeignKeyField(Touchpoint, null=True)
    value = DoubleField()
    updated_at = DateTimeField()
    updated_by = ForeignKeyField(User, null=True, backref="+")


class Signal(BaseModel):
    """A significant drop of a store's KPI in a window against its own baseline."""

    id = _AutoField()
    store = ForeignKeyField(Store)
    kpi = TextField()
    window_start = DateField()
    window_end = DateField()
    baseline_start = DateField()
    baseline_end = DateField()
    current_value = DoubleField()
    current_n = IntegerField()
    baseline_value = DoubleField()
    baseline_n = IntegerField()
    p_value = DoubleField()
    test = TextField()
    detected_at = DateTimeField()
    state = TextField()  # open | dismissed
    dismissed_by = ForeignKeyField(User, null=True, backref="+")
    dismissed_at = DateTimeField(null=True)


ALL_MODELS += [
    ScoreDaily,
    ScoreMonthly,
    ScoreWeekly,
    HourDaily,
    ReasonDaily,
    ReasonPairDaily,
    TermDaily,
    Target,
    Signal,
]


class ApiToken(BaseModel):
    """A person's bearer token for /api/v1 (hub/services/api_tokens.py): only its SHA-256 is
    kept; ``prefix`` names it in lists; ``scopes`` space-separated."""

    id = _AutoField()
    user = ForeignKeyField(User, backref="api_tokens")
    name = TextField()
    prefix = TextField()
    token_hash = TextField(unique=True)
    scopes = TextField()
    created_at = DateTimeField()
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


ALL_MODELS += [ApiToken]
ALL_MODELS += [SuspectDaily, SuspectMonthly, PhoneTicket, PhoneBurst]


class PhoneContinuation(BaseModel):
    """The phone conversation that continues a tapped response (a continuation code), and its
    follow-up while the terminal's response has not arrived."""

    response_id = UUIDText(primary_key=True)
    terminal = ForeignKeyField(Terminal)
    ticket = TextField()
    claimed_at = DateTimeField()
    updated_at = DateTimeField()
    content_hash = TextField()
    finished = BooleanField()
    locale = TextField()
    pending = TextField(null=True)
    pending_contact = BlobField(null=True)
    merged_at = DateTimeField(null=True)


ALL_MODELS += [PhoneContinuation]


# --- actions and projects (hub/services/actions.py, action_effects.py; migration v0019) ------


class ActionProject(BaseModel):
    """A name that groups actions across stores."""

    id = _AutoField()
    name = TextField()
    description = TextField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="+")
    created_at = DateTimeField()


class Action(BaseModel):
    """What people decided to do about a figure, for a scope, and since when it is in effect."""

    STATES = ("planned", "in_progress", "done", "dropped")
    KPIS = ("smiley_index", "nps", "csat", "reason_share")

    id = _AutoField()
    project = ForeignKeyField(ActionProject, null=True, backref="actions")
    title = TextField()
    description = TextField(null=True)
    kpi = TextField()
    reason = TextField(null=True)  # the option of a reason_share goal
    goal_direction = TextField()  # up | down: which way is better
    scope_key = TextField()  # all | region:<id> | store:<id> | touchpoint:<id>
    region = ForeignKeyField(Region, null=True)
    store = ForeignKeyField(Store, null=True)
    touchpoint = ForeignKeyField(Touchpoint, null=True)
    owner = ForeignKeyField(User, null=True, backref="+")
    state = TextField()
    due_on = DateField(null=True)
    effect_from = DateField(null=True)  # the first store-local day it is in effect
    origin = TextField()  # hand | driver | signal | case | theme
    signal = ForeignKeyField(Signal, null=True)
    created_by = ForeignKeyField(User, null=True, backref="+")
    created_at = DateTimeField()
    updated_at = DateTimeField()
    closed_at = DateTimeField(null=True)

    class Meta:
        table_name = "action"
        indexes = ((("store", "state"), False), (("region", "state"), False))


class ActionParticipant(BaseModel):
    action = ForeignKeyField(Action, backref="participants")
    user = ForeignKeyField(User, backref="+")

    class Meta:
        primary_key = CompositeKey("action", "user")


class ActionCase(BaseModel):
    """A case linked to an action (a case can spawn one; several cases can link to one)."""

    action = ForeignKeyField(Action)
    case = ForeignKeyField(Case)
    linked_at = DateTimeField()

    class Meta:
        primary_key = CompositeKey("action", "case")


class ActionTask(BaseModel):
    id = _AutoField()
    action = ForeignKeyField(Action, backref="tasks")
    title = TextField()
    assignee = ForeignKeyField(User, null=True, backref="+")
    due_on = DateField(null=True)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, null=True, backref="+")
    created_at = DateTimeField()


class ActionEvent(BaseModel):
    """The audit trail of an action: who did what when; comments are events of kind commented."""

    id = _AutoField()
    action = ForeignKeyField(Action, backref="events")
    at = DateTimeField()
    user = ForeignKeyField(User, null=True, backref="+")
    kind = TextField()
    text = TextField(null=True)
    data = JSONText(null=True)


ALL_MODELS += [ActionProject, Action, ActionParticipant, ActionCase, ActionTask, ActionEvent]


# --- operational measures (v0021) ---------------------------------------------------------


class Measure(BaseModel):
    """What is measured per store and period (hub/services/measures.py)."""

    KINDS = ("count", "level", "duration")
    GRAINS = ("hour", "day")

    id = _AutoField()
    code = TextField(unique=True)
    name = TextField()
    unit = TextField()
    kind = TextField()
    grain = TextField()
    created_at = DateTimeField()


class MeasureValue(BaseModel):
    """One value of a measure for a store and a period that starts at ``period_start`` (UTC),
    the store-local ``day`` and ``hour`` (none for a daily measure) it stands for."""

    measure = ForeignKeyField(Measure, backref="values")
    store = ForeignKeyField(Store, backref="+")
    period_start = DateTimeField()
    day = DateField()
    hour = IntegerField(null=True)
    value = DoubleField()
    updated_at = DateTimeField()

    class Meta:
        primary_key = CompositeKey("measure", "store", "period_start")


ALL_MODELS += [Measure, MeasureValue]


# --- teams and their daily recommendation (hub/services/teams.py, recommendations.py; v0022) --


class Team(BaseModel):
    """Who works a store or a part of it (checkout team, fresh counter, service desk)."""

    id = _AutoField()
    store = ForeignKeyField(Store, backref="teams")
    name = TextField()
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("store", "name"), True),)


class TeamReason(BaseModel):
    """A reason (an option of a choice question of the survey) the team answers for."""

    team = ForeignKeyField(Team, backref="reasons")
    option = TextField()

    class Meta:
        primary_key = CompositeKey("team", "option")


class TeamTouchpoint(BaseModel):
    team = ForeignKeyField(Team, backref="touchpoints")
    touchpoint = ForeignKeyField(Touchpoint, backref="+")

    class Meta:
        primary_key = CompositeKey("team", "touchpoint")


class TeamMember(BaseModel):
    team = ForeignKeyField(Team, backref="members")
    user = ForeignKeyField(User, backref="+")

    class Meta:
        primary_key = CompositeKey("team", "user")


class Recommendation(BaseModel):
    """A team's recommendation for a store-local day: the reason to work on and its evidence
    as it was that morning (``data``); ``team_key`` 0 is a store's whole-store team."""

    id = _AutoField()
    store = ForeignKeyField(Store, backref="+")
    team_key = IntegerField()
    team = ForeignKeyField(Team, null=True, backref="+")
    team_name = TextField()
    day = DateField()
    question = TextField(null=True)
    reason = TextField(null=True)  # None: no reason stands out
    data = JSONText()
    made_at = DateTimeField()
    dismissed_at = DateTimeField(null=True)
    dismissed_by = ForeignKeyField(User, null=True, backref="+")
    dismissed_note = TextField(null=True)

    class Meta:
        indexes = ((("store", "team_key", "day"), True),)


class RecommendationEvent(BaseModel):
    """The audit trail of a recommendation: made, dismissed (with the word why)."""

    id = _AutoField()
    recommendation = ForeignKeyField(Recommendation, backref="events")
    at = DateTimeField()
    user = ForeignKeyField(User, null=True, backref="+")
    kind = TextField()
    text = TextField(null=True)


ALL_MODELS += [Team, TeamReason, TeamTouchpoint, TeamMember, Recommendation, RecommendationEvent]


# --- case classification and signals on measures (v0026) ----------------------------------


class CaseClassification(BaseModel):
    """What the agent is told about a case (hub/services/case_classification.py): its
    category, its priority with the codes of what raised it, and a suggested reply in the
    customer's language; ``customer_value`` is what a CRM sent, if any."""

    case = ForeignKeyField(Case, primary_key=True, backref="+")
    category = TextField()
    priority = TextField()  # high | normal | low
    priority_reasons = JSONText()  # codes, e.g. ["very_unhappy", "contact_requested"]
    language = TextField()  # de | en
    suggested_reply = TextField()
    customer_value = DoubleField(null=True)
    computed_at = DateTimeField()


class MeasureSignalRule(BaseModel):
    """The smiley index falls by ``index_drop`` points while a measure moves by
    ``measure_change`` % in ``direction`` (hub/services/measure_signals.py)."""

    id = _AutoField()
    name = TextField()
    measure = ForeignKeyField(Measure, backref="+")
    store = ForeignKeyField(Store, null=True, backref="+")  # None: every store
    direction = TextField()  # up | down
    index_drop = DoubleField()
    measure_change = DoubleField()
    min_answers = IntegerField()
    active = BooleanField()
    created_at = DateTimeField()
    updated_at = DateTimeField()
    period = TextField(default="week")  # week | today (v0030)


class MeasureSignal(BaseModel):
    """A measure signal rule that held for a store and window, recorded once."""

    id = _AutoField()
    rule = ForeignKeyField(MeasureSignalRule, backref="signals")
    store = ForeignKeyField(Store, backref="+")
    window_start = DateField()
    window_end = DateField()
    baseline_start = DateField()
    baseline_end = DateField()
    index_now = DoubleField()
    index_before = DoubleField()
    n_now = IntegerField()
    n_before = IntegerField()
    measure_now = DoubleField()
    measure_before = DoubleField()
    detected_at = DateTimeField()

    class Meta:
        indexes = ((("rule", "store", "window_start", "window_end"), True),)


ALL_MODELS += [CaseClassification, MeasureSignalRule, MeasureSignal]


class CaseToClassify(BaseModel):
    """An open case that responses joined since it was last classified: the classify job
    classifies it and takes it off (hub/services/case_classification.py; v0037)."""

    case = ForeignKeyField(Case, primary_key=True, backref="+")
    queued_at = DateTimeField()


ALL_MODELS += [CaseToClassify]


# --- help desk tickets (hub/services/helpdesk/, migration v0025) ------------------------------


class HelpdeskTicket(BaseModel):
    """The help desk ticket of a case handed over: its number once made (none while the outbox
    still tries), the tag that finds it again, and the help desk's state as last read."""

    case = ForeignKeyField(Case, primary_key=True, backref="+")
    system = TextField()
    reference = TextField()
    external_id = TextField(null=True)
    state = TextField()  # queued until made; then the help desk's own state (new, open, resolved...)
    url = TextField(null=True)
    handed_at = DateTimeField()
    handed_by = ForeignKeyField(User, null=True, backref="+", column_name="handed_by")
    updated_at = DateTimeField()
    resolution_pushed_at = DateTimeField(null=True)  # the case's resolution queued for the help desk

    class Meta:
        table_name = "helpdesk_ticket"


class HelpdeskCursor(BaseModel):
    """How far the hub has read one help desk's changes: the help desk's time, as it writes it."""

    system = TextField(primary_key=True)
    changed_since = TextField()
    polled_at = DateTimeField()

    class Meta:
        table_name = "helpdesk_cursor"


ALL_MODELS += [HelpdeskTicket, HelpdeskCursor]


# --- invitations and the contact centre (v0024) --------------------------------------------


class Invitation(BaseModel):
    """A customer asked for feedback about a visit or contact (hub/services/invitations.py);
    unique by the asking system and its receipt or contact id."""

    CHANNELS = ("email", "sms")
    STATES = ("scheduled", "sent", "skipped", "suppressed", "unsubscribed")

    id = _AutoField()
    public_id = TextField(unique=True)
    source = TextField()
    reference = TextField()
    store = ForeignKeyField(Store, backref="+")
    touchpoint = ForeignKeyField(Touchpoint, backref="+")
    channel = TextField()
    language = TextField()
    send_after = DateTimeField()
    address_sealed = BlobField(null=True)
    address_hash = TextField(null=True)
    agent = TextField(null=True)
    team = TextField(null=True)
    state = TextField()
    reason = TextField(null=True)
    message_id = IntegerField(null=True)
    reminder_message_id = IntegerField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="+", column_name="created_by")
    created_at = DateTimeField()
    sent_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)
    opened_at = DateTimeField(null=True)
    unsubscribed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("source", "reference"), True),)


class InvitationSuppression(BaseModel):
    """An address that unsubscribed, as its keyed hash only."""

    address_hash = TextField(primary_key=True)
    created_at = DateTimeField()


class AgentView(BaseModel):
    """The agent's own rating of a contact (hub/services/contact_centre.py)."""

    invitation = ForeignKeyField(Invitation, primary_key=True, backref="+")
    difficulty = IntegerField()
    resolved = BooleanField()
    note = TextField(null=True)
    user = ForeignKeyField(User, null=True, backref="+")
    created_at = DateTimeField()
    updated_at = DateTimeField()


class ContactCentreMember(BaseModel):
    """The team a team lead leads, the pseudonymous agent id a person works under."""

    user = ForeignKeyField(User, primary_key=True, backref="+")
    team = TextField(null=True)
    agent = TextField(null=True)


ALL_MODELS += [Invitation, InvitationSuppression, AgentView, ContactCentreMember]


class HelpdeskEvent(BaseModel):
    """A help desk's signed event by its webhook id, kept for twice the signature's window so
    a replay is recognised and does nothing (hub/services/helpdesk/inbound.py, migration v0032)."""

    system = TextField()
    webhook_id = TextField()
    received_at = DateTimeField()

    class Meta:
        table_name = "helpdesk_event"
        primary_key = CompositeKey("system", "webhook_id")


ALL_MODELS += [HelpdeskEvent]
