"""Teacher and pupils: the pure policy, the key check with its slow-down, limits and the default model."""

from __future__ import annotations

import pytest

from mnist_core import class_settings, roles
from mnist_core.roles import Limits, PermissionDenied, Role, UnlockError

PUPIL = Role(class_mode=True, teacher=False)
TEACHER = Role(class_mode=True, teacher=True)
ALONE = roles.ONE_PERSON


@pytest.mark.parametrize("action", sorted(roles.TEACHER_ONLY))
def test_pupil_needs_the_teacher_for_every_teacher_action(action):
    assert not roles.allowed(action, PUPIL)
    assert roles.allowed(action, TEACHER) and roles.allowed(action, ALONE)
    with pytest.raises(PermissionDenied, match="Only the teacher can"):
        roles.require(action, PUPIL)
    roles.require(action, TEACHER)


def test_stop_is_yours_or_the_teachers():
    assert roles.can_stop("Visitor a", "Visitor a", PUPIL)
    assert not roles.can_stop("Visitor a", "Visitor b", PUPIL)
    assert roles.can_stop("Visitor a", "Visitor b", TEACHER)
    assert roles.can_stop("Visitor a", "Visitor b", ALONE)


def test_start_limits_refuse_with_the_reason():
    limits = Limits(allowed_presets=("cnn-quick",), max_minutes=5, models_per_pupil=2, total_models=10)
    roles.check_start("cnn-quick", 120, PUPIL, limits, own_models=1, total_models=3)
    with pytest.raises(PermissionDenied, match="not allowed the network 'cnn-accurate'"):
        roles.check_start("cnn-accurate", 120, PUPIL, limits, 0, 0)
    with pytest.raises(PermissionDenied, match="about 10.0 minutes and the class limit is 5"):
        roles.check_start("cnn-quick", 600, PUPIL, limits, 0, 0)
    with pytest.raises(PermissionDenied, match="already have 2 models"):
        roles.check_start("cnn-quick", 60, PUPIL, limits, 2, 3)
    with pytest.raises(PermissionDenied, match="holds 10 trained models"):
        roles.check_start("cnn-quick", 60, PUPIL, limits, 0, 10)
    roles.check_start("cnn-accurate", 3600, TEACHER, limits, 9, 3)  # the teacher: only the disk limit
    with pytest.raises(PermissionDenied, match="holds 10"):
        roles.check_start("cnn-accurate", 60, TEACHER, limits, 0, 10)


def test_a_new_model_from_fine_tuning_respects_the_disk_and_per_pupil_limits():
    limits = Limits(models_per_pupil=2, total_models=10)
    roles.check_new_model(PUPIL, limits, own_models=1, total_models=9)
    with pytest.raises(PermissionDenied, match="holds 10 trained models, the class limit is 10"):
        roles.check_new_model(TEACHER, limits, own_models=0, total_models=10)
    with pytest.raises(PermissionDenied, match="already have 2 models and the class limit is 2 per pupil"):
        roles.check_new_model(PUPIL, limits, own_models=2, total_models=3)
    roles.check_new_model(TEACHER, limits, own_models=5, total_models=3)  # the teacher: only the disk limit


def test_limits_are_checked_when_edited():
    assert Limits.from_dict(None) == Limits()
    assert Limits.from_dict({"max_minutes": "7", "models_per_pupil": 1}).max_minutes == 7.0
    for bad in ({"max_minutes": 0}, {"models_per_pupil": -1}, {"total_models": 0}, {"max_minutes": "x"}):
        with pytest.raises(roles.DigitLabError):
            Limits.from_dict(bad)
    with pytest.raises(roles.DigitLabError, match="Unknown network"):
        Limits.from_dict({"allowed_presets": ["nope"]}, known_presets=["cnn-quick"])


def test_limits_live_in_the_database_and_only_the_teacher_edits_them(db_url):
    assert roles.load_limits(db_url) == Limits()
    with pytest.raises(PermissionDenied):
        roles.save_limits(Limits(max_minutes=2), PUPIL, url=db_url)
    roles.save_limits(Limits(max_minutes=2), TEACHER, browser="t", url=db_url)
    assert roles.load_limits(db_url).max_minutes == 2
    assert any(e.action == "limits" for e in class_settings.recent_events(url=db_url))


def test_key_source_and_constant_time_compare(monkeypatch):
    monkeypatch.delenv(roles.TEACHER_KEY_ENV, raising=False)
    assert roles.teacher_key() is None
    assert roles.teacher_key({"teacher_key": "s3cret"}) == "s3cret"
    monkeypatch.setenv(roles.TEACHER_KEY_ENV, "from-env")
    assert roles.teacher_key({"teacher_key": "s3cret"}) == "from-env"
    assert roles.key_matches("from-env", "from-env") and roles.key_matches(" from-env ", "from-env")
    assert not roles.key_matches("from-en", "from-env") and not roles.key_matches("", "from-env")


def test_wrong_guesses_slow_down_per_browser_and_are_audited(db_url):
    now = 1_000_000.0
    for i in range(roles.FREE_GUESSES):
        with pytest.raises(UnlockError, match="not the teacher key"):
            roles.unlock("guess", "right", "pupil", url=db_url, now=now + i)
    with pytest.raises(UnlockError, match="wait 2 seconds"):  # even the right key must wait now
        roles.unlock("right", "right", "pupil", url=db_url, now=now + 2.5)
    roles.unlock("right", "right", "teacher-laptop", url=db_url, now=now + 3)  # another browser is not slowed
    roles.unlock("right", "right", "pupil", url=db_url, now=now + 10)  # after the wait
    events = class_settings.recent_events(50, url=db_url)
    actions = [e.action for e in events]
    assert actions.count("unlock-wrong-key") == 3 and actions.count("unlock") == 2
    assert "unlock-throttled" in actions
    assert not any("guess" in e.detail or "right" in e.detail for e in events)  # the key is never stored


def test_waits_grow_and_are_capped():
    assert [roles.wait_after(n) for n in range(6)] == [0, 0, 0, 2, 4, 8]
    assert roles.wait_after(50) == roles.MAX_WAIT_SECONDS


def test_owner_label_is_stable_and_keyed(db_url):
    a = roles.owner_label("browser-a", db_url)
    assert a == roles.owner_label("browser-a", db_url) and a.startswith("Visitor ")
    assert a != roles.owner_label("browser-b", db_url)
    assert "browser-a" not in a


def test_class_default_needs_the_teacher_and_refuses_a_forgetful_model(db_url):
    assert roles.class_default(db_url) is None
    with pytest.raises(PermissionDenied):
        roles.set_class_default("m", PUPIL, url=db_url)
    forgetful = {"finetune": {"mnist_before": 0.995, "mnist_after": 0.990}}
    with pytest.raises(PermissionDenied, match="more than 0.3 points"):
        roles.set_class_default("m", TEACHER, forgetful, url=db_url)
    fine = {"finetune": {"mnist_before": 0.995, "mnist_after": 0.9935}}
    roles.set_class_default("m", TEACHER, fine, url=db_url)
    assert roles.class_default(db_url) == "m"
    roles.set_class_default(None, TEACHER, url=db_url)
    assert roles.class_default(db_url) is None


def test_model_owners_follow_renames_and_deletes(db_url):
    class_settings.record_owner("a", "Visitor 1", db_url)
    class_settings.record_owner("b", "Visitor 1", db_url)
    class_settings.record_owner("c", "Visitor 2", db_url)
    assert class_settings.models_of("Visitor 1", ["a", "b", "c", "gone"], db_url) == ["a", "b"]
    class_settings.rename_owner("a", "a2", db_url)
    class_settings.forget_owner("b", db_url)
    assert class_settings.owners(db_url) == {"a2": "Visitor 1", "c": "Visitor 2"}
