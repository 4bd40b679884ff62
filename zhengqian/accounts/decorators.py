from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from zhengqian.core.http import is_htmx

SUDO_SESSION_KEY = "zq_sudo_at"


def sudo_is_fresh(request: HttpRequest) -> bool:
    confirmed = request.session.get(SUDO_SESSION_KEY)
    if confirmed is None:
        return False
    return time.time() - float(confirmed) < settings.ZQ_SUDO_MINUTES * 60


def mark_sudo(request: HttpRequest) -> None:
    request.session[SUDO_SESSION_KEY] = time.time()


def require_sudo_mode(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sensitive actions ask for the password again when the last confirmation is old."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if sudo_is_fresh(request):
            return view(request, *args, **kwargs)
        target = (
            request.get_full_path()
            if request.method == "GET"
            else request.META.get("HTTP_REFERER", request.get_full_path())
        )
        url = reverse("accounts:confirm_password") + "?" + urlencode({"next": target})
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)

    return wrapper
