from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts import selectors, services
from zhengqian.accounts.decorators import mark_sudo, require_sudo_mode
from zhengqian.accounts.forms import (
    ConfirmPasswordForm,
    LoginForm,
    MatrixCellForm,
    MembershipForm,
    OwnPasswordChangeForm,
    SetPasswordForm,
    UserCreateForm,
    UserForm,
)
from zhengqian.accounts.models import User
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core.forms import attach_errors
from zhengqian.core.http import is_htmx


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = OwnPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            record(actor=user, event_type="user.password_change", target=user)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def confirm_password(request: HttpRequest) -> HttpResponse:
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    user = cast(User, request.user)
    form = ConfirmPasswordForm(request.POST or None, user=user)
    if request.method == "POST":
        if form.is_valid():
            mark_sudo(request)
            record(actor=user, event_type="auth.sudo", kind=EventKind.AUTH, target=user)
            return redirect(next_url)
        record(actor=user, event_type="auth.sudo_failed", kind=EventKind.AUTH, target=user)
    return render(request, "accounts/confirm_password.html", {"form": form, "next": next_url})


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    active = request.GET.get("active", "")
    users = selectors.users_for_admin(request.user, q=q, active=active)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    context = {"page_obj": page, "q": q, "active": active, "query_string": f"q={q}&active={active}"}
    template = "accounts/_user_rows.html" if is_htmx(request) else "accounts/user_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    selectors.users_for_admin(request.user)  # 404/403 before showing the form
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc) if hasattr(exc, "error_dict") else form.add_error(
                "password", exc
            )
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
@require_GET
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.get_user_for_admin(request.user, pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, user))


def _detail_context(request: HttpRequest, user, **forms) -> dict:  # type: ignore[no-untyped-def]
    initial = {f: getattr(user, f) for f in services.USER_FIELDS}
    return {
        "subject": user,
        "memberships": selectors.memberships_of(user),
        "form": forms.get("form") or UserForm(initial=initial, instance=user),
        "membership_form": forms.get("membership_form") or MembershipForm(),
        "password_form": forms.get("password_form") or SetPasswordForm(),
    }


@login_required
@require_POST
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.get_user_for_admin(request.user, pk)
    form = UserForm(request.POST, instance=user)
    if form.is_valid():
        try:
            services.user_update(actor=request.user, user=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request, "accounts/user_detail.html", _detail_context(request, user, form=form), status=400
    )


@login_required
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.get_user_for_admin(request.user, pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Account enabled.") if active else _("Account disabled."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
@require_sudo_mode
def user_set_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.get_user_for_admin(request.user, pk)
    form = SetPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            messages.success(request, _("The new password is set."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_detail.html",
        _detail_context(request, user, password_form=form),
        status=400,
    )


@login_required
@require_POST
def membership_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.get_user_for_admin(request.user, pk)
    form = MembershipForm(request.POST)
    if form.is_valid():
        try:
            services.membership_grant(
                actor=request.user,
                user=user,
                role=form.cleaned_data["role"],
                project=form.cleaned_data["project"],
                work_groups=form.cleaned_data["work_groups"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Role granted."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_detail.html",
        _detail_context(request, user, membership_form=form),
        status=400,
    )


@login_required
@require_POST
def membership_revoke(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    user = selectors.get_user_for_admin(request.user, pk)
    membership = selectors.get_membership_for_admin(request.user, user, membership_pk)
    try:
        services.membership_revoke(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Role removed."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_GET
def role_matrix(request: HttpRequest) -> HttpResponse:
    cells = selectors.permission_matrix(request.user)
    return render(
        request,
        "accounts/role_matrix.html",
        {
            "cells": cells,
            "roles": RoleCode.choices,
            "modules": Module.choices,
            "actions": Action.choices,
        },
    )


@login_required
@require_POST
@require_sudo_mode
def role_matrix_set(request: HttpRequest) -> HttpResponse:
    form = MatrixCellForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Invalid cell."), status=400)
    try:
        services.role_permission_set(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Permission matrix updated."))
    return redirect("accounts:role_matrix")
