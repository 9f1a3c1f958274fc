"""People who sign in to the hub, and which stores each may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from hub.db import write_transaction
from hub.models import Region, Store, User, UserRegion, UserStore
from hub.services.passwords import hash_password
from shared.errors import AlreadyExists, RequestError


def add_user(
    email: str,
    name: str,
    role: str,
    password: str,
    *,
    now: datetime,
    stores: Iterable[Store] = (),
    regions: Iterable[Region] = (),
) -> User:
    if role not in User.ROLES:
        raise RequestError("malformed_request", f"role must be one of {', '.join(User.ROLES)}")
    if "@" not in email or len(password) < 12:
        raise RequestError("malformed_request", "a user needs an email address and a password of 12 characters or more")
    if User.select().where(User.email == email.lower()).exists():
        raise AlreadyExists("already_exists", f"a user {email.lower()!r} exists already")
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    with write_transaction():
        user = User.create(
            email=email.lower(),
            name=name,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=now.replace(tzinfo=None),
        )
        for store in stores:
            UserStore.create(user=user, store=store)
        for region in regions:
            UserRegion.create(user=user, region=region)
    return user
