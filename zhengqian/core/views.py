from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import OutOfScope, has_perm, has_perm_anywhere, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.core import services
from zhengqian.core.dictionaries import DictionaryKind
from zhengqian.core.forms import StyledForm, attach_errors
from zhengqian.core.models import CalendarDay, CalendarYear, DictionaryEntry
from zhengqian.core.selectors import dictionary
from zhengqian.projects.selectors import projects_for_user


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from zhengqian.reminders import selectors as reminders

    projects = projects_for_user(request.user)[:200]
    work = reminders.summary(reminders.my_work(request.user, timezone.localdate()))
    return render(
        request,
        "core/home.html",
        {
            "projects": projects,
            "work": work,
            "can_create_project": has_perm_anywhere(request.user, Module.PROJECTS, Action.CREATE),
            "can_admin": has_perm(request.user, Module.ACCOUNTS, Action.VIEW),
        },
    )


class EntryForm(StyledForm):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    label_zh = forms.CharField(label=gettext_lazy("Chinese label"), max_length=60)
    label_en = forms.CharField(label=gettext_lazy("English label"), max_length=80, required=False)
    sort_order = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, initial=0)


class EntryEditForm(EntryForm):
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class CalendarImportForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("Holiday file (CSV: date,kind,name)"),
        help_text=gettext_lazy(
            "The whole year from the State Council's notice; it replaces that year."
        ),
    )
    source = forms.CharField(label=gettext_lazy("Source (notice)"), max_length=200, required=False)


def _kind_or_404(kind: str) -> DictionaryKind:
    if kind not in DictionaryKind.values:
        raise OutOfScope("core.dictionary", kind)
    return DictionaryKind(kind)


@login_required
@require_GET
def dictionary_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Module.DICTIONARIES, Action.VIEW)
    return render(request, "core/dictionary_list.html", {"kinds": DictionaryKind.choices})


@login_required
@require_http_methods(["GET", "POST"])
def dictionary_kind(request: HttpRequest, kind: str) -> HttpResponse:
    require(request.user, Module.DICTIONARIES, Action.VIEW)
    kind_code = _kind_or_404(kind)
    form = EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dictionary_entry_create(
                actor=request.user, kind=kind_code, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Entry added."))
            return redirect("core:dictionary_kind", kind=kind)
    return render(
        request,
        "core/dictionary_kind.html",
        {"kind": kind_code, "entries": dictionary(kind_code, include_inactive=True), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dictionary_entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Module.DICTIONARIES, Action.VIEW)
    entry = DictionaryEntry.objects.filter(pk=pk).first()
    if entry is None:
        raise OutOfScope("core.dictionaryentry", pk)
    initial = {f: getattr(entry, f) for f in services.ENTRY_FIELDS}
    form = EntryEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.dictionary_entry_update(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("core:dictionary_kind", kind=entry.kind)
    return render(request, "core/dictionary_entry.html", {"entry": entry, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    require(request.user, Module.DICTIONARIES, Action.VIEW)
    form = CalendarImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", _("The file must be UTF-8 text."))
        else:
            try:
                n = services.calendar_import(
                    actor=request.user, csv_text=text, source=form.cleaned_data["source"]
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                messages.success(request, _("%(n)d calendar days loaded.") % {"n": n})
                return redirect("core:calendar")
    return render(
        request,
        "core/calendar.html",
        {"years": CalendarYear.objects.all(), "days": CalendarDay.objects.all(), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def calendar_day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Module.DICTIONARIES, Action.VIEW)
    day = CalendarDay.objects.filter(pk=pk).first()
    if day is None:
        raise OutOfScope("core.calendarday", pk)
    services.calendar_day_remove(actor=request.user, day=day)
    messages.success(request, _("Removed."))
    return redirect("core:calendar")
