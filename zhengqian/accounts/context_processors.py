from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.permissions import modules_visible
from zhengqian.accounts.roles import Module

# The modules that have pages, in navigation order; a module appears only for users whose roles
# may view it. Later modules add themselves here as they are built.
NAV: list[tuple[str, Any, str]] = [
    (Module.PROJECTS, _("Projects"), "projects:list"),
    (Module.AUDIT, _("Audit trail"), "audit:trail"),
    (Module.ACCOUNTS, _("Users"), "accounts:user_list"),
    (Module.DICTIONARIES, _("Dictionaries"), "core:dictionary_list"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    visible = modules_visible(user)
    items = [
        {"module": str(module), "label": label, "url": reverse(url_name)}
        for module, label, url_name in NAV
        if str(module) in visible
    ]
    current = request.path
    for item in items:
        item["active"] = current.startswith(item["url"])
    return {"nav_items": items}
