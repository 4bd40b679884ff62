from __future__ import annotations

from django.db.models import QuerySet

from zhengqian.core.models import DictionaryEntry


def dictionary(kind: str, *, include_inactive: bool = False) -> QuerySet[DictionaryEntry]:
    qs = DictionaryEntry.objects.filter(kind=kind)
    return qs if include_inactive else qs.filter(active=True)


def dictionary_choices(kind: str) -> list[tuple[str, str]]:
    """Choices for a form field, from the administrator's dictionary (active entries)."""
    return [(e.code, e.label) for e in dictionary(kind)]
