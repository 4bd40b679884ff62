"""My work (待办), the notifications and the header's badge."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from zhengqian.reminders import rules, selectors, services


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    groups = selectors.my_work(request.user, today)
    template = (
        "reminders/_my_work.html" if request.headers.get("HX-Request") else "reminders/my_work.html"
    )
    return render(
        request,
        template,
        {
            "groups": groups,
            "today": today,
            "projects": selectors.project_names(groups),
            "may_set_rules": rules.may_see_rules(request.user),
        },
    )


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    page_obj = selectors.notifications(request.user, request.GET.get("page") or 1)
    return render(
        request,
        "reminders/notifications.html",
        {"page_obj": page_obj, "unread": selectors.unread_count(request.user)},
    )


@login_required
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The header's bell with the unread count; what newly waits is notified first, so that a new
    item shows on the next page the user opens."""
    services.sync_for_user(user=request.user, today=timezone.localdate())
    return render(
        request, "reminders/_badge.html", {"unread": selectors.unread_count(request.user)}
    )


@login_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a notification: it is marked read and the user goes where it leads."""
    notification = selectors.notification_for_user(request.user, pk)
    services.mark_read(user=request.user, notification_ids=[notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("reminders:notifications")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=request.user, all=True)
    return redirect(reverse("reminders:notifications"))
