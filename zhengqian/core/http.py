from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """Whether HTMX asked for this (django-htmx sets request.htmx); such requests get the
    partial that the full page also includes."""
    return bool(getattr(request, "htmx", False))
