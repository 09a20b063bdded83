"""What the class keeps in its database besides drawings: settings, the audit trail, model owners.

These live in the database, not in a server's memory, so two replicas behind
one address (or a server and a training worker) agree on the teacher's limits,
the class's default model and who made which model.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .database import session_scope
from .drawings import with_retry
from .tables import AuditEvent, ClassSetting, ModelOwner

log = logging.getLogger("digitlab.class")

OWNER_SECRET = "owner_secret"
DEFAULT_MODEL_KEY = "default_model"


# ---- settings ------------------------------------------------------------------------
def get_setting(key: str, default: Any = None, url: str | None = None) -> Any:
    with session_scope(url) as session:
        row = session.get(ClassSetting, key)
        return default if row is None else row.value


def _upsert(table, key: str, url: str | None, **values: Any) -> None:
    """Insert the row with primary key ``key`` or update it (the last writer wins, which is what an edit means)."""
    def write() -> None:
        for _ in range(3):
            try:
                with session_scope(url) as session:
                    row = session.get(table, key)
                    if row is None:
                        session.add(table(**{table.__mapper__.primary_key[0].key: key}, **values))
                    else:
                        for name, value in values.items():
                            setattr(row, name, value)
                return
            except IntegrityError:  # another writer created it first: update theirs
                continue

    with_retry(write)


def set_setting(key: str, value: Any, url: str | None = None) -> None:
    _upsert(ClassSetting, key, url, value=value)


def setting_once(key: str, make: Any, url: str | None = None) -> Any:
    """The stored value of ``key``, creating it with ``make()`` if absent; every replica gets the same one."""
    found = get_setting(key, None, url)
    if found is not None:
        return found
    try:
        with session_scope(url) as session:
            session.add(ClassSetting(key=key, value=make()))
    except IntegrityError:
        pass  # someone else created it at the same moment: use theirs
    return get_setting(key, None, url)


def owner_secret(url: str | None = None) -> str:
    """A random server secret for turning browser ids into names shown to others."""
    return setting_once(OWNER_SECRET, lambda: secrets.token_hex(16), url)


# ---- audit ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    created: datetime
    browser: str
    action: str
    detail: str


def audit(action: str, browser: str = "", detail: str = "", url: str | None = None) -> None:
    """Log and store one event (unlock, lock, wrong key, a teacher's change). Never holds a key."""
    log.info("class event %s by %s: %s", action, browser or "-", detail)

    def write() -> None:
        with session_scope(url) as session:
            session.add(AuditEvent(action=action[:32], browser=browser[:64], detail=detail[:500]))

    with_retry(write)


def recent_events(limit: int = 20, url: str | None = None) -> list[Event]:
    with session_scope(url) as session:
        rows = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).all()
        return [Event(r.created, r.browser, r.action, r.detail) for r in rows]


# ---- who made which model --------------------------------------------------------------
def record_owner(name: str, owner: str, url: str | None = None) -> None:
    """Note that ``owner`` started the run that will save ``name`` (a later run of that name takes it over)."""
    _upsert(ModelOwner, name, url, owner=owner)


def owners(url: str | None = None) -> dict[str, str]:
    """Model name -> owner, for every model whose run was started in the app."""
    with session_scope(url) as session:
        return dict(session.execute(sa.select(ModelOwner.name, ModelOwner.owner)).all())


def models_of(owner: str, existing: Iterable[str], url: str | None = None) -> list[str]:
    """The models in ``existing`` (the registry's names) that ``owner`` made."""
    mine = {name for name, who in owners(url).items() if who == owner}
    return [name for name in existing if name in mine]


def transfer_models(old_owner: str, new_owner: str, url: str | None = None) -> int:
    """Every model ``old_owner`` made becomes ``new_owner``'s (the same person under the browser's real id)."""
    if not old_owner or old_owner == new_owner:
        return 0

    def write() -> int:
        with session_scope(url) as session:
            return int(session.execute(sa.update(ModelOwner).where(ModelOwner.owner == old_owner)
                                       .values(owner=new_owner)).rowcount or 0)

    return with_retry(write)


def rename_owner(old: str, new: str, url: str | None = None) -> None:
    def write() -> None:
        with session_scope(url) as session:
            row = session.get(ModelOwner, old)
            if row is not None:
                owner = row.owner
                session.delete(row)
                session.flush()
                session.merge(ModelOwner(name=new, owner=owner))

    with_retry(write)


def forget_owner(name: str, url: str | None = None) -> None:
    def write() -> None:
        with session_scope(url) as session:
            session.execute(sa.delete(ModelOwner).where(ModelOwner.name == name))

    with_retry(write)
