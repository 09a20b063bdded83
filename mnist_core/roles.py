"""Teacher and pupils: who may do what, the teacher's limits, and the teacher key.

Without a teacher key (``DIGITLAB_TEACHER_KEY`` or Streamlit secrets) Digit Lab
is in one-person mode and everything is allowed, as before. With a key, pupils
draw, label and train within the teacher's limits; the actions in
``TEACHER_ONLY`` need the teacher to unlock that browser session with the key.

The policy functions here are pure (they take the role and the facts and answer
or raise one sentence), so the pages, the CLI and the tests share them. The
limits, the wrong-guess counters and the audit trail live in the database, so
every replica of a server agrees on them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import time
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from .class_settings import DEFAULT_MODEL_KEY, audit, get_setting, owner_secret, set_setting
from .database import session_scope
from .drawings import with_retry
from .errors import DigitLabError
from .tables import UnlockAttempts

TEACHER_KEY_ENV = "DIGITLAB_TEACHER_KEY"
LIMITS_KEY = "limits"
FREE_GUESSES = 3  # typos happen; after these, each wrong guess doubles the wait
MAX_WAIT_SECONDS = 300

# Action -> what a pupil is told when they try it.
TEACHER_ONLY = {
    "rename_model": "rename models",
    "delete_model": "delete models",
    "stop_other": "stop someone else's training",
    "long_run": "start runs longer than the class limit",
    "remove_drawings": "remove drawings",
    "import_drawings": "import drawings",
    "finetune": "fine-tune a model on the class's drawings",
    "set_default": "choose the class's default model",
    "edit_limits": "change the class's limits",
}


class PermissionDenied(DigitLabError):
    """A pupil tried something that needs the teacher, or that goes past the teacher's limits."""


class UnlockError(DigitLabError):
    """A wrong teacher key, or too many wrong guesses in a row."""


@dataclass(frozen=True)
class Role:
    """This browser session's standing: is a teacher key set, and has this session unlocked it?"""

    class_mode: bool = False
    teacher: bool = False

    @property
    def unrestricted(self) -> bool:
        return not self.class_mode or self.teacher


ONE_PERSON = Role()


@dataclass(frozen=True)
class Limits:
    """What pupils may start. The teacher edits these; they are stored in the database."""

    allowed_presets: tuple[str, ...] = ("logistic", "mlp-128-128-dropout", "dnn-3x128", "mlp-128-64", "cnn-quick")
    max_minutes: float = 5.0  # longest estimated run a pupil may start
    models_per_pupil: int = 3
    total_models: int = 60  # trained models on disk, everyone's together

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["allowed_presets"] = list(self.allowed_presets)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, known_presets: Iterable[str] | None = None) -> "Limits":
        """Checked limits from stored or typed values; a bad value is one sentence."""
        if not data:
            return cls()
        base = cls()
        try:
            presets = tuple(str(p) for p in data.get("allowed_presets", base.allowed_presets))
            minutes = float(data.get("max_minutes", base.max_minutes))
            per_pupil = int(data.get("models_per_pupil", base.models_per_pupil))
            total = int(data.get("total_models", base.total_models))
        except (TypeError, ValueError) as exc:
            raise DigitLabError(f"The class limits are not numbers where numbers belong ({exc}).") from exc
        if known_presets is not None:
            unknown = sorted(set(presets) - set(known_presets))
            if unknown:
                raise DigitLabError(f"Unknown network(s) in the allowed list: {', '.join(unknown)}.")
        if not 0.5 <= minutes <= 600:
            raise DigitLabError("The longest run must be between 0.5 and 600 minutes.")
        if not 0 <= per_pupil <= 100:
            raise DigitLabError("Models per pupil must be between 0 and 100.")
        if not 1 <= total <= 10_000:
            raise DigitLabError("Total models must be between 1 and 10,000.")
        return cls(presets, minutes, per_pupil, total)


# ---- the key ------------------------------------------------------------------------------
def teacher_key(secrets: Any = None) -> str | None:
    """The key from the environment, else from Streamlit secrets (passed in); None: one-person mode."""
    key = os.environ.get(TEACHER_KEY_ENV)
    if not key and secrets is not None:
        try:
            key = secrets.get("teacher_key") or secrets.get(TEACHER_KEY_ENV)
        except Exception:  # no secrets file: Streamlit raises on access
            key = None
    key = (key or "").strip()
    return key or None


def key_matches(given: str, key: str) -> bool:
    """Constant time, whatever the lengths: compare fixed-size digests."""
    given_digest = hashlib.sha256(given.strip().encode("utf-8")).digest()
    key_digest = hashlib.sha256(key.encode("utf-8")).digest()
    return hmac.compare_digest(given_digest, key_digest)


def wait_after(failures: int) -> float:
    """Seconds to wait before the next guess after ``failures`` wrong ones in a row."""
    if failures < FREE_GUESSES:
        return 0.0
    return float(min(2 ** (failures - FREE_GUESSES + 1), MAX_WAIT_SECONDS))


def seconds_to_wait(who: Sequence[str], url: str | None = None, now: float | None = None) -> float:
    now = time.time() if now is None else now
    with session_scope(url) as session:
        rows = session.scalars(sa.select(UnlockAttempts).where(UnlockAttempts.who.in_(list(who)))).all()
        return max([0.0] + [r.last_failure + wait_after(r.failures) - now for r in rows])


def _record(who: Sequence[str], wrong: bool, url: str | None, now: float) -> None:
    def write() -> None:
        with session_scope(url) as session:
            for name in who:
                row = session.get(UnlockAttempts, name)
                if not wrong:
                    if row is not None:
                        session.delete(row)
                    continue
                if row is None:
                    session.add(UnlockAttempts(who=name, failures=1, last_failure=now))
                else:
                    row.failures += 1
                    row.last_failure = now

    with_retry(write)


def unlock(given: str, key: str, browser: str, address: str | None = None, url: str | None = None,
           now: float | None = None) -> None:
    """Check a guess at the teacher key; raises UnlockError (never echoing the guess) when wrong or too soon."""
    now = time.time() if now is None else now
    who = [f"browser:{browser}"] + ([f"address:{address}"] if address else [])
    wait = seconds_to_wait(who, url, now)
    if wait > 0:
        seconds = math.ceil(wait)
        audit("unlock-throttled", browser, f"asked to wait {seconds} s", url)
        raise UnlockError(f"Too many wrong keys: wait {seconds} second{'s' * (seconds != 1)} before trying again.")
    if not key_matches(given or "", key):
        _record(who, True, url, now)
        audit("unlock-wrong-key", browser, address or "", url)
        raise UnlockError("That is not the teacher key.")
    _record(who, False, url, now)
    audit("unlock", browser, address or "", url)


def lock(browser: str, url: str | None = None) -> None:
    audit("lock", browser, "", url)


# ---- permissions -----------------------------------------------------------------------------
def allowed(action: str, role: Role) -> bool:
    if action not in TEACHER_ONLY:
        raise KeyError(action)
    return role.unrestricted


def require(action: str, role: Role) -> None:
    """Raise a sentence saying the teacher is needed, unless this role may do ``action``."""
    if not allowed(action, role):
        raise PermissionDenied(f"Only the teacher can {TEACHER_ONLY[action]}: ask them to unlock this browser.")


def can_stop(run_owner: str, me: str, role: Role) -> bool:
    """Your own run, always; someone else's, only as the teacher (or in one-person mode)."""
    return run_owner == me or role.unrestricted


def _check_disk(limits: Limits, total_models: int) -> None:
    if total_models >= limits.total_models:
        raise PermissionDenied(
            f"The server already holds {total_models} trained models, the class limit is {limits.total_models}: "
            "ask the teacher to delete some before training a new one.")


def _check_allowance(role: Role, limits: Limits, own_models: int) -> None:
    if not role.unrestricted and own_models >= limits.models_per_pupil:
        raise PermissionDenied(
            f"You already have {own_models} models and the class limit is {limits.models_per_pupil} per pupil: "
            "ask the teacher to delete one of yours first.")


def check_new_model(role: Role, limits: Limits, own_models: int, total_models: int) -> None:
    """Room for one more model (fine-tuning, or any run that saves one): the models on disk, everyone's
    together, and this pupil's own allowance; the teacher is bound only by the disk limit, as in training."""
    _check_disk(limits, total_models)
    _check_allowance(role, limits, own_models)


def check_start(preset: str, estimated_seconds: float, role: Role, limits: Limits, own_models: int,
                total_models: int) -> None:
    """Refuse a new run with a sentence that says why; the teacher is bound only by the disk limit."""
    _check_disk(limits, total_models)
    if role.unrestricted:
        return
    if preset not in limits.allowed_presets:
        raise PermissionDenied(f"The teacher has not allowed the network {preset!r} for this class; "
                               f"choose one of: {', '.join(limits.allowed_presets) or 'none'}.")
    if estimated_seconds > limits.max_minutes * 60:
        raise PermissionDenied(
            f"This run would take about {estimated_seconds / 60:.1f} minutes and the class limit is "
            f"{limits.max_minutes:g}: use fewer epochs or training images, or ask the teacher.")
    _check_allowance(role, limits, own_models)


# ---- stored limits and default model ------------------------------------------------------------
def load_limits(url: str | None = None) -> Limits:
    try:
        return Limits.from_dict(get_setting(LIMITS_KEY, None, url))
    except DigitLabError:
        return Limits()  # a hand-edited, broken row never locks the class out


def save_limits(limits: Limits, role: Role, browser: str = "", url: str | None = None) -> None:
    require("edit_limits", role)
    set_setting(LIMITS_KEY, limits.to_dict(), url)
    audit("limits", browser, str(limits.to_dict()), url)


def owner_label(browser: str, url: str | None = None) -> str:
    """The name others see for a browser ("Visitor 3fa9c0"): keyed, so it cannot be forged from the id."""
    digest = hmac.new(owner_secret(url).encode(), browser.encode(), hashlib.sha256).hexdigest()
    return f"Visitor {digest[:6]}"


MAX_MNIST_DROP = 0.003  # a fine-tuned model that forgot more MNIST than this is not the class default


def class_default(url: str | None = None) -> str | None:
    """The model the teacher chose for everyone (None: the shipped default)."""
    value = get_setting(DEFAULT_MODEL_KEY, None, url)
    return value if isinstance(value, str) and value else None


def check_default_candidate(card_metrics: dict) -> None:
    """Refuse a fine-tuned model whose MNIST test accuracy dropped more than 0.3 points."""
    tuned = card_metrics.get("finetune") if isinstance(card_metrics, dict) else None
    if not tuned:
        return
    before, after = tuned.get("mnist_before"), tuned.get("mnist_after")
    if before is not None and after is not None and before - after > MAX_MNIST_DROP:
        raise PermissionDenied(
            f"This fine-tuned model reads MNIST worse than the model it came from ({after:.2%} against "
            f"{before:.2%}, more than 0.3 points less), so it cannot be the class's default.")


def set_class_default(name: str | None, role: Role, card_metrics: dict | None = None, browser: str = "",
                      url: str | None = None) -> None:
    require("set_default", role)
    if name:
        check_default_candidate(card_metrics or {})
    set_setting(DEFAULT_MODEL_KEY, name or "", url)
    audit("default-model", browser, name or "(shipped default)", url)
