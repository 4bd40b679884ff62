"""Logging in, lockout, sessions, the password policy and confirming the password again."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from zhengqian.audit.models import Event, EventKind


def post_login(client, username, password):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
class TestLogin:
    def test_a_user_logs_in_and_the_login_is_an_audit_event_with_the_address(self, client, world):  # type: ignore[no-untyped-def]
        r = post_login(client, "pm", world.password)
        assert r.status_code == 302 and r.url == "/"
        event = Event.objects.get(event_type="auth.login")
        assert event.kind == EventKind.AUTH and event.actor_id == world.pm.pk
        assert event.ip_address == "127.0.0.1"

    def test_a_failed_login_is_an_audit_event(self, client, world):  # type: ignore[no-untyped-def]
        r = post_login(client, "pm", "wrong-password-1")
        assert r.status_code == 200
        assert "请输入一个正确的" in r.content.decode()
        event = Event.objects.get(event_type="auth.login_failed")
        assert event.actor_id is None and event.details["username"] == "pm"
        assert event.target_id == str(world.pm.pk)

    def test_five_wrong_passwords_lock_the_account(self, client, world):  # type: ignore[no-untyped-def]
        for _ in range(5):
            post_login(client, "pm", "wrong-password-1")
        r = post_login(client, "pm", world.password)
        assert 'data-testid="locked-out"' in r.content.decode()
        assert "_auth_user_id" not in client.session
        assert Event.objects.filter(event_type="auth.locked_out").exists()

    def test_four_wrong_passwords_do_not_lock_and_a_success_resets_the_count(self, client, world):  # type: ignore[no-untyped-def]
        for _ in range(4):
            post_login(client, "pm", "wrong-password-1")
        assert post_login(client, "pm", world.password).status_code == 302
        client.post("/accounts/logout/")
        for _ in range(4):
            post_login(client, "pm", "wrong-password-1")
        assert post_login(client, "pm", world.password).status_code == 302

    def test_a_disabled_account_cannot_log_in(self, client, world):  # type: ignore[no-untyped-def]
        world.pm.is_active = False
        world.pm.save()
        r = post_login(client, "pm", world.password)
        assert r.status_code == 200 and "_auth_user_id" not in client.session

    def test_logout_needs_post_and_is_recorded(self, client, world, login):  # type: ignore[no-untyped-def]
        c = login(world.pm)
        assert c.get("/accounts/logout/").status_code == 405
        assert c.post("/accounts/logout/").status_code == 302
        assert Event.objects.filter(event_type="auth.logout", actor_id=world.pm.pk).exists()


def test_sessions_expire_after_inactivity() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
class TestPasswordPolicy:
    @pytest.mark.parametrize(
        "password,reason",
        [
            ("short1", "too short"),
            ("abcdefghijkl", "no digit"),
            ("1234567890123", "numeric"),
            ("password123", "common"),
        ],
    )
    def test_weak_passwords_are_refused(self, password, reason):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            validate_password(password)

    def test_a_long_mixed_password_is_accepted(self) -> None:
        validate_password("Zhengqian2026")

    def test_a_user_changes_their_password_and_it_is_recorded(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.pm)
        r = c.post(
            "/accounts/password/",
            {
                "old_password": world.password,
                "new_password1": "NewPassw0rd2027",
                "new_password2": "NewPassw0rd2027",
            },
        )
        assert r.status_code == 302
        world.pm.refresh_from_db()
        assert world.pm.check_password("NewPassw0rd2027")
        assert Event.objects.filter(event_type="user.password_change").exists()


@pytest.mark.django_db
class TestConfirmPassword:
    def test_a_sensitive_action_asks_for_the_password_again(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        url = f"/accounts/users/{world.pm.pk}/password/"
        r = c.post(
            url, {"password": "AnotherPass2027"}, HTTP_REFERER=f"/accounts/users/{world.pm.pk}/"
        )
        assert r.status_code == 302 and r.url.startswith("/accounts/confirm-password/")
        world.pm.refresh_from_db()
        assert world.pm.check_password(world.password)

    def test_a_wrong_confirmation_is_refused_and_recorded(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        r = c.post("/accounts/confirm-password/", {"password": "nope", "next": "/"})
        assert r.status_code == 200 and 'data-field-error="password"' in r.content.decode()
        assert Event.objects.filter(event_type="auth.sudo_failed").exists()

    def test_after_confirming_the_action_goes_through(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        r = c.post(
            "/accounts/confirm-password/", {"password": world.password, "next": "/accounts/users/"}
        )
        assert r.status_code == 302 and r.url == "/accounts/users/"
        r = c.post(f"/accounts/users/{world.pm.pk}/password/", {"password": "AnotherPass2027"})
        assert r.status_code == 302
        world.pm.refresh_from_db()
        assert world.pm.check_password("AnotherPass2027")
        assert Event.objects.filter(
            event_type="user.password_reset", target_id=str(world.pm.pk)
        ).exists()

    def test_an_outside_next_address_is_ignored(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        r = c.post(
            "/accounts/confirm-password/",
            {"password": world.password, "next": "https://evil.example/"},
        )
        assert r.url == "/"
