"""Who may see which stores. Every query that returns store data goes through a Scope.

HQ admins and analysts see every store; a regional manager the stores of their regions (and
any linked directly); a store manager the stores linked to them. Only HQ admins change
settings; analysts read. A store outside the scope answers "not found", so its existence is
not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import Field, Query

from hub.models import Store, User, UserRegion, UserStore
from shared.errors import NotFound

HQ_ROLES = frozenset({"hq_admin", "hq_analyst"})


@dataclass(frozen=True)
class Scope:
    user_id: int
    role: str
    store_ids: frozenset[int] | None  # None: every store

    @property
    def can_administer(self) -> bool:
        return self.role == "hq_admin"

    @property
    def can_act_on_cases(self) -> bool:
        return self.role != "hq_analyst"

    def sees(self, store_id: int) -> bool:
        return self.store_ids is None or store_id in self.store_ids

    def require_store(self, store_id: int) -> None:
        if not self.sees(store_id):
            raise NotFound("not_found", "no such store")

    def restrict(self, query: Query, store_field: Field) -> Query:
        """``query`` limited to the stores in scope (unchanged for HQ)."""
        if self.store_ids is None:
            return query
        return query.where(store_field.in_(sorted(self.store_ids) or [-1]))


def scope_for(user: User) -> Scope:
    if user.role in HQ_ROLES:
        return Scope(user.id, user.role, None)
    direct = {row.store_id for row in UserStore.select(UserStore.store).where(UserStore.user == user.id)}
    if user.role == "regional_manager":
        regions = UserRegion.select(UserRegion.region).where(UserRegion.user == user.id)
        direct |= {row.id for row in Store.select(Store.id).where(Store.region.in_(regions))}
    return Scope(user.id, user.role, frozenset(direct))
