"""The reminder rules page: the kinds with their defaults, the office rule and the projects' own
rules; setting and removing a rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import OutOfScope
from zhengqian.core.forms import StyledForm, attach_errors
from zhengqian.projects.models import Project
from zhengqian.reminders import rules
from zhengqian.reminders.models import ReminderRule


class RuleForm(StyledForm):
    working_days = forms.IntegerField(
        label=gettext_lazy("Working days allowed before escalation"), min_value=1, max_value=365
    )
    warn_days = forms.IntegerField(
        label=gettext_lazy("Days ahead to warn"), min_value=0, max_value=365
    )

    def __init__(self, *args: Any, legal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A work item is escalated after its days; a legal deadline is warned of ahead.
        del self.fields["working_days" if legal else "warn_days"]


def _require_page(user: Any) -> None:
    if not rules.may_see_rules(user):
        raise PermissionDenied(_("You are not allowed to change the reminder rules."))


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    _require_page(request.user)
    return render(
        request,
        "reminders/rules.html",
        {
            "rows": rules.kind_rows(request.user),
            "may_office": rules.may_change_office_rules(request.user),
            "projects": rules.projects_ruled_by(request.user),
        },
    )


def _project_of(request: HttpRequest) -> Project | None:
    raw = request.GET.get("project") or ""
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise OutOfScope("projects.project", raw) from None
    project = rules.projects_ruled_by(request.user).filter(pk=pk).first()
    if project is None:
        raise OutOfScope("projects.project", raw)
    return project


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if not rules.known_kind(kind):
        raise Http404(kind)
    project = _project_of(request)
    rules.require_rule_change(request.user, project)
    from zhengqian.reminders import legal

    is_legal = kind in legal.kind_codes()
    rule = ReminderRule.objects.filter(kind=kind, project=project).first()
    book = rules.RuleBook.load()
    initial = {
        "working_days": book.working_days(kind, project.pk if project else None),
        "warn_days": book.warn_days(kind, project.pk if project else None),
    }
    form = RuleForm(request.POST or None, initial=initial, legal=is_legal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rules.rule_set(
                actor=request.user,
                kind=kind,
                project=project,
                working_days=data.get("working_days") or initial["working_days"],
                warn_days=data["warn_days"] if is_legal else initial["warn_days"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("reminders:rules")
    return render(
        request,
        "reminders/rule_edit.html",
        {
            "kind": kind,
            "label": rules.kind_label(kind),
            "project": project,
            "rule": rule,
            "form": form,
            "legal": is_legal,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    rule = ReminderRule.objects.select_related("project").filter(pk=pk).first()
    if rule is None:
        raise OutOfScope("reminders.reminderrule", pk)
    if (
        rule.project is not None
        and not rules.projects_ruled_by(request.user).filter(pk=rule.project.pk).exists()
    ):
        raise OutOfScope("reminders.reminderrule", pk)
    rules.rule_remove(actor=request.user, rule=rule)
    messages.success(request, _("Removed."))
    return redirect("reminders:rules")
