"""Who is at this browser: the anonymous per-browser id, the teacher unlock, the class's limits.

The browser id lives in a cookie (``digitlab_browser``), written once by a tiny
same-origin script and read from ``st.context.cookies`` when a tab connects,
so a reload and a second tab of the same browser are the same person: their
training run stays theirs. The name others see ("Visitor 3fa9c0") is a keyed
hash of that id, so it can be shown without letting anyone impersonate it.

The teacher unlocks one browser session with the key; pupils never see it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid

import streamlit as st

from mnist_core import roles
from mnist_core.errors import DigitLabError
from mnist_core.roles import Limits, Role

from .helpers import esc

log = logging.getLogger("digitlab.class")

COOKIE = "digitlab_browser"
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
COOKIE_DAYS = 365
UNLOCKED = "teacher_unlocked"
ss = st.session_state

# Stores this browser's id unless it has one, and reports the id the browser really holds when it is
# not this tab's: two tabs opened before the cookie existed both start with a fresh id, the first write
# wins, and the other tab adopts it. A second look catches two tabs that wrote at the same moment.
_IDENTITY_JS = """
export default function ({ data, setStateValue }) {
  const held = () => {
    const mine = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(data.name + '='));
    const id = mine ? mine.slice(data.name.length + 1) : '';
    return /^[0-9a-f]{32}$/.test(id) ? id : null;
  };
  const check = () => {
    if (held() === null) {
      document.cookie = `${data.name}=${data.value}; path=/; max-age=${data.age}; SameSite=Lax`;
    }
    const id = held();
    if (id !== null && id !== data.value) setStateValue('browser', id);
  };
  check();
  const timers = [400, 2000].map((ms) => setTimeout(check, ms));
  return () => timers.forEach(clearTimeout);
}
"""
_identity = st.components.v2.component("digitlab_identity", js=_IDENTITY_JS)


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection (bare script run)
        return None
    return value if isinstance(value, str) and ID_PATTERN.match(value) else None


def ensure_identity() -> None:
    """Give this session its browser id and owner name; store the id in the browser when it has none.

    The cookie a tab connected with is fixed for its whole session (``st.context.cookies``), so a tab
    that connected before the browser had one asks the browser on every run and adopts the id it holds."""
    if "browser_id" not in ss:
        ss.browser_id = _cookie() or uuid.uuid4().hex
    if _cookie() != ss.browser_id:
        held = _held_by_browser(ss.browser_id)
        if held is not None and held != ss.browser_id:
            adopt(held)
    if "owner_for" not in ss or ss.owner_for != ss.browser_id:
        ss.owner = _owner_label(ss.browser_id)
        ss.owner_for = ss.browser_id


def _held_by_browser(value: str) -> str | None:
    """The id this browser holds, as its cookie; None until the browser has said (or when it is ours)."""
    if not ID_PATTERN.match(value):
        raise ValueError("a browser id is 32 hex digits")
    with st.container(key="digitlab_identity"):  # hidden by ui/style.py
        result = _identity(data={"name": COOKIE, "value": value, "age": COOKIE_DAYS * 86400},
                           key="digitlab_identity_probe", default={"browser": None}, on_browser_change=lambda: None)
    held = (result or {}).get("browser")
    return held if isinstance(held, str) and ID_PATTERN.match(held) else None


def adopt(held: str) -> None:
    """Become the browser id another tab stored first, keeping the runs and models this tab started."""
    old_owner = ss.get("owner") if ss.get("owner_for") == ss.get("browser_id") else None
    ss.browser_id = held
    ss.owner = _owner_label(held)
    ss.owner_for = held
    log.info("a tab adopted its browser's id (%s)", ss.owner)
    if old_owner and old_owner != ss.owner:
        from mnist_core import class_settings
        from mnist_core.database import database_url
        from mnist_core.runs import RunStore

        try:
            RunStore(database_url()).transfer_owner(old_owner, ss.owner)
            class_settings.transfer_models(old_owner, ss.owner)
        except Exception as exc:  # the database is down: the id is still right for what comes next
            log.warning("runs of %s not transferred: %s", old_owner, exc)


def _owner_label(browser: str) -> str:
    try:
        return roles.owner_label(browser)
    except Exception as exc:  # the database is down: still a stable name for this session
        log.warning("owner label without the database: %s", exc)
        return f"Visitor {hashlib.sha256(browser.encode()).hexdigest()[:6]}"


def browser_id() -> str:
    if "browser_id" not in ss:
        ensure_identity()
    return ss.browser_id


def owner() -> str:
    if "owner" not in ss or ss.get("owner_for") != browser_id():
        ensure_identity()
    return ss.owner


# ---- the teacher ---------------------------------------------------------------
def teacher_key() -> str | None:
    secrets = st.secrets if st.secrets.load_if_toml_exists() else None
    return roles.teacher_key(secrets)


def role() -> Role:
    key = teacher_key()
    return Role(class_mode=key is not None, teacher=key is not None and bool(ss.get(UNLOCKED)))


def _address() -> str | None:
    try:
        address = st.context.ip_address
    except Exception:
        return None
    return address if isinstance(address, str) and address else None


def _unlock(input_key: str) -> None:
    key = teacher_key()
    given = ss.get(input_key, "")
    ss[input_key] = ""  # never kept, never shown again
    if key is None:
        return
    try:
        roles.unlock(given, key, browser_id(), _address())
    except DigitLabError as exc:
        ss.unlock_message = str(exc)
        return
    ss[UNLOCKED] = True
    log.info("teacher unlocked browser %s", owner())


def _lock() -> None:
    ss[UNLOCKED] = False
    try:
        roles.lock(browser_id())
    except Exception as exc:
        log.warning("lock not audited: %s", exc)
    log.info("teacher locked browser %s", owner())


def teacher_panel(key: str = "teacher") -> None:
    """Unlock or lock the teacher's powers for this browser session (nothing in one-person mode)."""
    current = role()
    if not current.class_mode:
        return
    with st.container(key=f"{key}_panel", border=True):
        if current.teacher:
            st.markdown("🔓 **Teacher mode** in this browser")
            st.button("Lock", key=f"{key}_lock", on_click=_lock, help="Back to pupil rights in this browser.")
            return
        st.markdown("🔒 **Pupil mode**")
        with st.form(f"{key}_unlock_form", clear_on_submit=True, border=False):
            st.text_input("Teacher key", type="password", key=f"{key}_key_input",
                          help="The teacher unlocks deleting, renaming, long runs and the class's settings.")
            st.form_submit_button("Unlock", on_click=_unlock, args=(f"{key}_key_input",))
        message = ss.pop("unlock_message", None)
        if message:
            st.error(esc(message), icon="🔒")


# ---- the class's limits ------------------------------------------------------------
@st.cache_data(ttl=3, show_spinner=False)
def _limits(url: str | None) -> Limits:
    return roles.load_limits(url)


def limits() -> Limits:
    """The teacher's limits, read at most every few seconds (every replica sees an edit within that)."""
    from mnist_core.database import database_url

    try:
        return _limits(database_url())
    except Exception as exc:
        log.warning("class limits unavailable, using the defaults: %s", exc)
        return Limits()


def forget_limits_cache() -> None:
    _limits.clear()


# ---- the Train page's Start and Stop --------------------------------------------------
def check_start(preset: str, settings, available: int, trained_names: list[str],
                seconds: float | None = None) -> None:
    """Raise PermissionDenied with the reason when this browser may not start this run.

    ``seconds`` is the run's estimate when it is not one training of ``settings`` (a search's trials)."""
    from mnist_core import class_settings
    from mnist_core.estimate import estimate_seconds

    current = role()
    if not current.class_mode:
        return
    mine = class_settings.models_of(owner(), trained_names)
    if seconds is None:
        seconds = estimate_seconds(preset, settings, available)
    roles.check_start(preset, seconds, current, limits(),
                      own_models=len(mine), total_models=len(trained_names))


def check_new_model(trained_names: list[str]) -> None:
    """Raise PermissionDenied when one more model would pass the disk limit or this pupil's allowance:
    what fine-tuning checks before its run starts (training checks the same inside ``check_start``)."""
    from mnist_core import class_settings

    current = role()
    if not current.class_mode:
        return
    mine = class_settings.models_of(owner(), trained_names)
    roles.check_new_model(current, limits(), own_models=len(mine), total_models=len(trained_names))


def record_start(name: str) -> None:
    """Remember who started the run that will save ``name`` (for "models per pupil")."""
    from mnist_core import class_settings

    try:
        class_settings.record_owner(name, owner())
    except Exception as exc:  # the run goes on; only the per-pupil count misses it
        log.warning("model owner not recorded: %s", exc)


def can_stop(run_owner: str) -> bool:
    return roles.can_stop(run_owner, owner(), role())


def limits_note(preset: str) -> None:
    """What a pupil may start, shown beside the Start button in class mode."""
    current = role()
    if not current.class_mode or current.teacher:
        return
    rules = limits()
    allowed = "allowed" if preset in rules.allowed_presets else "not allowed for pupils"
    st.caption(f"Class limits: runs up to {rules.max_minutes:g} minutes, {rules.models_per_pupil} models per "
               f"pupil; this network is {allowed}.")


# ---- models: rename, delete, the class default ---------------------------------------------
def require(action: str) -> None:
    roles.require(action, role())


def model_renamed(old: str, new: str) -> None:
    from mnist_core import class_settings

    try:
        class_settings.rename_owner(old, new)
        if class_default() == old:
            roles.set_class_default(new, role(), browser=browser_id())
    except DigitLabError:
        raise
    except Exception as exc:
        log.warning("owner of %s not renamed: %s", old, exc)


def model_deleted(name: str) -> None:
    from mnist_core import class_settings

    try:
        class_settings.forget_owner(name)
    except Exception as exc:
        log.warning("owner of %s not forgotten: %s", name, exc)


@st.cache_data(ttl=3, show_spinner=False)
def _class_default(url: str) -> str | None:
    return roles.class_default(url)


def class_default() -> str | None:
    """The teacher's choice of model for everyone, or None (then the shipped default)."""
    from mnist_core.database import database_url

    try:
        return _class_default(database_url())
    except Exception as exc:
        log.warning("class default unavailable: %s", exc)
        return None


def set_class_default(name: str | None, metrics: dict | None = None) -> None:
    roles.set_class_default(name, role(), metrics, browser=browser_id())
    _class_default.clear()


def stop_run(job, run_id: int) -> None:
    """The Stop button: checked again at the click, so a stale page cannot stop someone else's run."""
    state = job.store.get(run_id)
    if state is not None and can_stop(state.owner):
        job.stop(run_id)
