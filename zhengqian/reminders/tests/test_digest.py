"""The daily digest: one e-mail per user and day listing the unread notifications not yet sent,
with absolute links; nothing twice; a failed sending tried again."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from zhengqian.reminders import digest
from zhengqian.reminders.models import Digest, Notification, NotificationLevel
from zhengqian.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 18)


@pytest.fixture(autouse=True)
def base_url(settings):  # type: ignore[no-untyped-def]
    settings.ZQ_BASE_URL = "https://zq.example.gov.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def people(world):  # type: ignore[no-untyped-def]
    for user, address in [(world.accountant, "acc@example.cn"), (world.pm, "pm@example.cn")]:
        user.email = address
        user.save(update_fields=["email"])
    return world


def note(user, key, *, level=NotificationLevel.NEW, title="", url="", due=None):  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        user=user,
        level=level,
        kind="test.digest",
        key=key,
        title=title or f"事项 {key}",
        url=url,
        due_on=due,
    )


class TestTheDigest:
    def test_each_user_gets_one_mail_with_the_unread_notifications(self, people):  # type: ignore[no-untyped-def]
        first = note(people.accountant, "a", url="/compensation/1/", due=dt.date(2026, 11, 20))
        note(
            people.accountant,
            "b",
            level=NotificationLevel.ESCALATED,
            title="计算单待复核已超期",
            url="/compensation/2/",
        )
        read = note(people.accountant, "c")
        read.read_at = timezone.now()
        read.save(update_fields=["read_at"])
        note(people.pm, "d")
        assert digest.send_digests(today=TODAY) == 2
        by_address = {m.to[0]: m for m in mail.outbox}
        message = by_address["acc@example.cn"]
        assert "2" in message.subject
        assert "https://zq.example.gov.cn/compensation/1/" in message.body
        assert "https://zq.example.gov.cn/compensation/2/" in message.body
        assert "2026-11-20" in message.body
        assert "计算单待复核已超期" in message.body
        assert "事项 c" not in message.body  # already read
        assert "https://zq.example.gov.cn/work/" in message.body  # My work
        first.refresh_from_db()
        assert first.emailed_on == TODAY
        assert Digest.objects.get(user=people.accountant, day=TODAY).notifications == 2

    def test_a_second_run_the_same_day_sends_nothing(self, people):  # type: ignore[no-untyped-def]
        note(people.accountant, "a")
        assert digest.send_digests(today=TODAY) == 1
        note(people.accountant, "b")  # arrives later the same day: tomorrow's digest
        assert digest.send_digests(today=TODAY) == 0
        assert len(mail.outbox) == 1
        assert digest.send_digests(today=TODAY + dt.timedelta(days=1)) == 1
        assert "事项 b" in mail.outbox[1].body and "事项 a" not in mail.outbox[1].body

    def test_nothing_new_means_no_mail(self, people):  # type: ignore[no-untyped-def]
        note(people.accountant, "a")
        digest.send_digests(today=TODAY)
        assert digest.send_digests(today=TODAY + dt.timedelta(days=1)) == 0
        assert len(mail.outbox) == 1
        assert Digest.objects.count() == 1

    def test_no_mail_without_an_address_or_for_an_inactive_user(self, people):  # type: ignore[no-untyped-def]
        note(people.surveyor, "a")  # no address
        gone = UserFactory(username="gone", email="gone@example.cn", is_active=False)
        note(gone, "b")
        assert digest.send_digests(today=TODAY) == 0
        assert mail.outbox == []
        assert not Digest.objects.exists()

    def test_a_long_list_is_cut_with_a_link_to_all(self, people):  # type: ignore[no-untyped-def]
        for n in range(digest.LISTED + 5):
            note(people.accountant, f"k{n}")
        digest.send_digests(today=TODAY)
        body = mail.outbox[0].body
        assert body.count("- 事项 k") == digest.LISTED
        assert "5" in body and "https://zq.example.gov.cn/work/notifications/" in body
        assert Notification.objects.filter(emailed_on=TODAY).count() == digest.LISTED + 5

    def test_a_failed_sending_leaves_nothing_and_is_tried_again(self, people):  # type: ignore[no-untyped-def]
        note(people.accountant, "a")
        failed: list[int] = []
        with mock.patch(
            "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("smtp down")
        ):
            assert digest.send_digests(today=TODAY, failed=failed) == 0
        assert failed == [people.accountant.pk]
        assert not Digest.objects.exists()
        assert not Notification.objects.filter(emailed_on__isnull=False).exists()
        assert digest.send_digests(today=TODAY) == 1


class TestTheCommand:
    def test_it_sends_the_days_digests(self, people, capsys):  # type: ignore[no-untyped-def]
        note(people.accountant, "a")
        call_command("send_digests", "--date", "2026-11-18")
        assert "1 digest(s) sent" in capsys.readouterr().out
        assert len(mail.outbox) == 1

    def test_it_fails_loudly_when_a_mail_cannot_be_sent(self, people):  # type: ignore[no-untyped-def]
        note(people.accountant, "a")
        with (
            mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")),
            pytest.raises(CommandError),
        ):
            call_command("send_digests", "--date", "2026-11-18")

    def test_the_demo_prints_the_mail_on_the_console(self, people, settings, capsys):  # type: ignore[no-untyped-def]
        settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
        note(people.accountant, "a", url="/compensation/7/")
        call_command("send_digests", "--date", "2026-11-18")
        out = capsys.readouterr().out
        assert "To: acc@example.cn" in out
        assert "https://zq.example.gov.cn/compensation/7/" in out
        assert Digest.objects.filter(user=people.accountant, day=TODAY).exists()
