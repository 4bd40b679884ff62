"""The daily digest: one e-mail a day to each active user with an address, listing the unread
notifications not yet sent in a digest, with links to them.

Sent with Django's mail backend: SMTP when ZQ_EMAIL_HOST is set, else the console (the demo).
The text is in the office's language (LANGUAGE_CODE, 简体中文): users keep no language of their
own, and the language switch of the pages is a cookie of one browser. The links are absolute,
from the ZQ_BASE_URL setting.

Once a day: the Digest row (unique per user and day) is written in the same transaction as the
sending and the notifications' `emailed_on`; a second run the same day finds the row and sends
nothing, and a sending that fails rolls the row back so that the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhengqian.accounts.models import User
from zhengqian.reminders.models import Digest, Notification, NotificationLevel

logger = logging.getLogger(__name__)

# A digest lists at most this many notifications; the rest are counted and one link leads to
# them all.
LISTED = 50


def _absolute(url: str) -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.ZQ_BASE_URL}{url if url.startswith('/') else '/' + url}"


def _body(user: User, notes: list[Notification], total: int, today: dt.date) -> str:
    marks: dict[str, str] = {
        NotificationLevel.ESCALATED: _("[Escalated]"),
        NotificationLevel.WARNING: _("[Deadline]"),
        NotificationLevel.NEW: "",
    }
    lines = [
        _("Hello %(name)s,") % {"name": str(user)},
        "",
        ngettext(
            "One notification waits for you on %(day)s:",
            "%(count)d notifications wait for you on %(day)s:",
            total,
        )
        % {"count": total, "day": today.isoformat()},
        "",
    ]
    for n in notes:
        mark = marks.get(n.level, "")
        head = f"{mark} {n.title}".strip()
        if n.due_on:
            head += " " + _("(due %(date)s)") % {"date": n.due_on.isoformat()}
        lines.append(f"- {head}")
        if n.url:
            lines.append(f"  {_absolute(n.url)}")
    if total > len(notes):
        lines.append("")
        lines.append(
            _("… and %(count)d more.") % {"count": total - len(notes)}
            + " "
            + _absolute(reverse("reminders:notifications"))
        )
    lines += ["", _("My work: %(url)s") % {"url": _absolute(reverse("reminders:my_work"))}]
    return "\n".join(lines) + "\n"


def _send_one(user: User, today: dt.date) -> bool:
    """Send the user's digest of `today` if there is something to say and none was sent."""
    with transaction.atomic():
        # The notifications are fixed first: one made by a scan while this digest is written is
        # not marked as sent without being in it.
        ids = list(
            Notification.objects.filter(
                user=user, read_at__isnull=True, emailed_on=None
            ).values_list("pk", flat=True)
        )
        pending = Notification.objects.filter(pk__in=ids)
        total = len(ids)
        if not total:
            return False
        try:
            with transaction.atomic():
                digest = Digest.objects.create(user=user, day=today, notifications=total)
        except IntegrityError:
            return False  # already sent today (or being sent by another run)
        notes = list(pending.order_by("-created_at", "-pk")[:LISTED])
        subject = ngettext(
            "Zhengqian: %(count)d notification", "Zhengqian: %(count)d notifications", total
        ) % {"count": total}
        message = EmailMessage(
            subject=subject,
            body=_body(user, notes, total, today),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        )
        message.send(fail_silently=False)
        pending.update(emailed_on=today)
        logger.info("digest %s sent to user %s (%d)", digest.pk, user.pk, total)
    return True


def send_digests(*, today: dt.date, failed: list[int] | None = None) -> int:
    """Send today's digests; returns how many e-mails went out. One user's failure (the mail
    server refusing an address) does not keep the others from theirs: it is logged, the user's
    id added to `failed`, and that user tried again on the next run."""
    sent = 0
    users = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            notifications__read_at__isnull=True,
            notifications__emailed_on__isnull=True,
        )
        .exclude(pk__in=Digest.objects.filter(day=today).values("user_id"))
        .distinct()
        .order_by("pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            try:
                if _send_one(user, today):
                    sent += 1
            except Exception:
                logger.exception("the digest of user %s could not be sent", user.pk)
                if failed is not None:
                    failed.append(user.pk)
    return sent
