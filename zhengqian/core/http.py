from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_htmx(request: HttpRequest) -> bool:
    """Whether HTMX asked for this (django-htmx sets request.htmx); such requests get the
    partial that the full page also includes."""
    return bool(getattr(request, "htmx", False))


def next_url(request: HttpRequest, default: str) -> str:
    """Where a form posted from another page sends the user back: the form's `next` when it is
    a page of this site, else the default."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
