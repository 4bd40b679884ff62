from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit import selectors
from zhengqian.audit.forms import TrailSearchForm
from zhengqian.audit.models import ChainVerification, EventKind
from zhengqian.audit.services import record, record_search
from zhengqian.audit.tasks import verify_audit_chain
from zhengqian.core.http import is_htmx
from zhengqian.projects.models import Project

PAGE_SIZE = 50


@login_required
@require_GET
def trail(request: HttpRequest) -> HttpResponse:
    require(request.user, Module.AUDIT, Action.VIEW)
    form = TrailSearchForm(request.GET or None)
    events = None
    page = None
    if form.is_valid() or not request.GET:
        flt = form.to_filter() if request.GET else selectors.TrailFilter()
        events = selectors.events_for_user(request.user, flt)
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        if request.GET:
            # Looking at the trail is itself part of the trail.
            record_search(
                actor=request.user,
                event_type="audit.search",
                query={k: v for k, v in request.GET.items() if k != "page"},
                results=page.paginator.count,
            )
    project_codes = {}
    if page is not None:
        ids = {e.project_id for e in page.object_list if e.project_id}
        project_codes = dict(Project.objects.filter(pk__in=ids).values_list("pk", "code"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page_obj": page,
        "query_string": query.urlencode(),
        "project_codes": project_codes,
        "verifications": ChainVerification.objects.all()[:5],
    }
    template = "audit/_rows.html" if is_htmx(request) else "audit/trail.html"
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, pk)
    return render(request, "audit/event.html", {"event": event})


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    require(request.user, Module.AUDIT, Action.VIEW)
    with transaction.atomic():
        verification = ChainVerification.objects.create(
            requested_by_id=request.user.pk, requested_at=timezone.now()
        )
        record(
            actor=request.user,
            event_type="audit.verify_requested",
            kind=EventKind.SYSTEM,
            target=verification,
        )
        transaction.on_commit(lambda: verify_audit_chain.enqueue(verification.pk))
    messages.info(
        request, _("The chain check is queued; its result appears here when the worker has run it.")
    )
    return redirect("audit:trail")
