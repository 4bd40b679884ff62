from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengqian.accounts.permissions import modules_visible
from zhengqian.accounts.roles import Module

# The modules that have pages, in navigation order; a module appears only for users whose roles
# may view it. Later modules add themselves here as they are built.
NAV: list[tuple[str, Any, str]] = [
    (Module.PROJECTS, _("My work"), "reminders:my_work"),
    (Module.PROJECTS, _("Projects"), "projects:list"),
    (Module.DASHBOARD, _("Dashboard"), "dashboard:leader"),
    # "Households" alone is also the count of households (户数): the menu entry has a context.
    (Module.SURVEY, pgettext_lazy("survey", "Households"), "survey:index"),
    (Module.VALUATION, _("Valuation"), "valuation:index"),
    (Module.COMPENSATION, _("Calculation and review"), "compensation:index"),
    (Module.AGREEMENTS, _("Agreements and signing"), "agreements:index"),
    (Module.PAYMENTS, _("Payments"), "payments:index"),
    (Module.DEMOLITION, _("Vacating and demolition"), "demolition:index"),
    (Module.RESETTLEMENT, _("Resettlement"), "resettlement:index"),
    (Module.HOLDOUTS, _("Holdout clearance"), "holdouts:index"),
    (Module.HOLDOUTS, _("Petitions and lawsuits"), "petitions:index"),
    (Module.AUDIT, _("Audit trail"), "audit:trail"),
    (Module.ACCOUNTS, _("Users"), "accounts:user_list"),
    (Module.DICTIONARIES, _("Dictionaries"), "core:dictionary_list"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_modules": set()}
    visible = modules_visible(user)
    items = [
        {"module": str(module), "label": label, "url": reverse(url_name)}
        for module, label, url_name in NAV
        if str(module) in visible
    ]
    current = request.path
    for item in items:
        item["active"] = current.startswith(item["url"])
    # The modules the user may view somewhere, for links between pages (the target page still
    # checks the right in its own project).
    return {"nav_items": items, "nav_modules": visible}
