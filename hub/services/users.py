"""People who sign in to the hub, and which stores each may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from hub.db import write_transaction
from hub.i18n import LANGUAGES, lazy_gettext
from hub.models import Region, Store, User, UserRegion, UserStore
from hub.services.passwords import hash_password
from hub.services.sign_in import sign_in
from shared.errors import AlreadyExists, RequestError, VoxloopError


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
        raise RequestError(
            "malformed_request", lazy_gettext("a user needs an email address and a password of 12 characters or more")
        )
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


def check_new_password(password: str) -> None:
    """Raise ``malformed_request`` unless ``password`` is long enough to be set."""
    if len(password) < 12:
        raise RequestError("malformed_request", lazy_gettext("a password needs 12 characters or more"))


def change_user(
    user: User,
    *,
    name: str,
    role: str,
    stores: Iterable[Store],
    regions: Iterable[Region],
    active: bool,
    acting: User,
) -> User:
    """Change a person's name, role, stores and regions, or switch them off. An admin cannot
    take away their own admin role or switch themselves off (the hub would lose its last
    way back in)."""
    if role not in User.ROLES:
        raise RequestError("malformed_request", f"role must be one of {', '.join(User.ROLES)}")
    if not name.strip():
        raise RequestError("malformed_request", lazy_gettext("a user needs a name"))
    if user.id == acting.id and (role != "hq_admin" or not active):
        raise RequestError(
            "malformed_request", lazy_gettext("you cannot remove your own admin role or deactivate yourself")
        )
    with write_transaction():
        # switched off: every session ends now, and none comes back when switched on again
        version = User.session_version + (0 if active else 1)
        User.update(name=name.strip(), role=role, active=active, session_version=version).where(
            User.id == user.id
        ).execute()
        UserStore.delete().where(UserStore.user == user.id).execute()
        UserRegion.delete().where(UserRegion.user == user.id).execute()
        for store in dict.fromkeys(stores):
            UserStore.create(user=user.id, store=store)
        for region in dict.fromkeys(regions):
            UserRegion.create(user=user.id, region=region)
    return User.get_by_id(user.id)


def set_password(user: User, password: str) -> None:
    """A new password (scrypt, hub/services/passwords.py); every session of the person ends."""
    check_new_password(password)
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    with write_transaction():
        User.update(password_hash=password_hash, session_version=User.session_version + 1).where(
            User.id == user.id
        ).execute()


def change_own_password(user: User, current: str, new: str, *, address: str, now: datetime) -> User:
    """A person's own new password, given their current one (checked and throttled like a
    sign-in, so a forgotten open session is no way to guess it). Every session of the person
    ends; the caller starts a new one for the device that asked."""
    check_new_password(new)
    try:
        sign_in(user.email, current, address=address, now=now)
    except VoxloopError as error:
        if error.code == "bad_credentials":
            raise RequestError("malformed_request", lazy_gettext("your current password is not right")) from None
        raise
    set_password(user, new)
    return User.get_by_id(user.id)


def set_language(user: User, language: str) -> None:
    """The person's language for pages and emails; "" follows the browser (hub/i18n.py)."""
    if language and language not in LANGUAGES:
        raise RequestError("malformed_request", f"the language is one of {', '.join(LANGUAGES)}")
    with write_transaction():
        User.update(language=language or None).where(User.id == user.id).execute()


def end_sessions(user: User) -> None:
    """End every session of ``user``, in every hub process (hub/auth/guard.py checks the
    version on each request)."""
    with write_transaction():
        User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def set_store_managers(store: Store, user_ids: Iterable[int]) -> None:
    """Link exactly these store managers to ``store`` (other roles' links stay as they are)."""
    wanted = set(user_ids)
    managers = User.select(User.id).where(User.role == "store_manager")
    found = {u.id for u in managers.where(User.id.in_(sorted(wanted) or [-1]))}
    if found != wanted:
        raise RequestError("malformed_request", lazy_gettext("managers must be existing store managers"))
    with write_transaction():
        UserStore.delete().where((UserStore.store == store.id) & UserStore.user.in_(managers)).execute()
        for user_id in sorted(wanted):
            UserStore.create(user=user_id, store=store.id)
