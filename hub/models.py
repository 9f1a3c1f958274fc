"""The hub's tables as peewee models. The schema itself is made by hub/migrations; a test
checks that these models and the migrated schema agree on every table and column."""

from __future__ import annotations

import json
import uuid
from typing import Any

from peewee import AutoField as _AutoField
from peewee import (
    BlobField,
    BooleanField,
    CompositeKey,
    DateField,
    DateTimeField,
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
    ROLES = ("hq_admin", "hq_analyst", "regional_manager", "store_manager")

    id = _AutoField()
    email = TextField(unique=True)
    name = TextField()
    role = TextField()
    password_hash = TextField()
    active = BooleanField()
    created_at = DateTimeField()

    class Meta:
        table_name = "app_user"


class UserStore(BaseModel):
    user = ForeignKeyField(User)
    store = ForeignKeyField(Store)

    class Meta:
        primary_key = CompositeKey("user", "store")


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
]
