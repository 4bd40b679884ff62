"""The voucher pages of the resettlement module."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
