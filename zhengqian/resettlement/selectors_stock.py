"""Reads of the housing stock: estates with their counts by status, the flat list with its
filters, an estate or flat within the user's scope, the stock summary of the project page and
the entitlement part of the household page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.http import Http404

from zhengqian.accounts.roles import Action
from zhengqian.core.masking import mask_name
from zhengqian.projects.models import Project
from zhengqian.resettlement import entitlement
from zhengqian.resettlement.models import (
    Building,
    Choice,
    Estate,
    Flat,
    FlatStatus,
    StockImport,
)
from zhengqian.resettlement.selectors import get_project_for_user, may, sees_personal
from zhengqian.survey.models import Household

PAGE_SIZE = 50
FITS_SHOWN = 10
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The flats a household may still be offered.
OPEN_STATUSES = (FlatStatus.PLANNED, FlatStatus.CONSTRUCTION, FlatStatus.READY)


def get_estate_for_user(user: Any, pk: Any) -> Estate:
    estate = Estate.objects.select_related("project").filter(pk=pk).first()
    if estate is None:
        raise Http404
    get_project_for_user(user, estate.project_id)
    return estate


def get_flat_for_user(user: Any, pk: Any) -> Flat:
    flat = Flat.objects.select_related("estate", "building", "household").filter(pk=pk).first()
    if flat is None:
        raise Http404
    get_project_for_user(user, flat.project_id)
    return flat


def get_import_for_user(user: Any, project: Project, pk: Any) -> StockImport:
    found = StockImport.objects.filter(project=project, pk=pk).first()
    if found is None:
        raise Http404
    return found


def status_counts(project: Project, estate: Estate | None = None) -> dict[str, int]:
    flats = Flat.objects.filter(project=project)
    if estate is not None:
        flats = flats.filter(estate=estate)
    found = dict(flats.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: found.get(status, 0) for status in FlatStatus.values}


def estates(project: Project) -> list[Estate]:
    """The project's estates, each with its flats counted by status (one query)."""
    counts = {
        status: Count("flats", filter=Q(flats__status=status)) for status in FlatStatus.values
    }
    rows = list(
        Estate.objects.filter(project=project)
        .annotate(flat_count=Count("flats"), flat_area=Sum("flats__area"), **counts)
        .order_by("name")
    )
    for row in rows:
        # SQLite sums decimals as floats: the area is given back to the hundredth.
        row.flat_area = Decimal(str(row.flat_area or 0)).quantize(CENT)  # type: ignore[attr-defined]
        row.by_status = [(label, getattr(row, value)) for value, label in FlatStatus.choices]  # type: ignore[attr-defined]
    return rows


@dataclass(frozen=True)
class Filters:
    estate: int | None = None
    building: int | None = None
    status: str = ""
    layout: str = ""
    area_min: Decimal | None = None
    area_max: Decimal | None = None


def flats(project: Project, filters: Filters | None = None) -> QuerySet[Flat]:
    f = filters or Filters()
    qs = Flat.objects.filter(project=project).select_related("estate", "building", "household")
    if f.estate:
        qs = qs.filter(estate_id=f.estate)
    if f.building:
        qs = qs.filter(building_id=f.building)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.layout:
        qs = qs.filter(layout=f.layout)
    if f.area_min is not None:
        qs = qs.filter(area__gte=f.area_min)
    if f.area_max is not None:
        qs = qs.filter(area__lte=f.area_max)
    return qs.order_by("estate__name", "building__name", "unit_no")


def layouts(project: Project) -> list[str]:
    return list(
        Flat.objects.filter(project=project)
        .exclude(layout="")
        .values_list("layout", flat=True)
        .distinct()
        .order_by("layout")
    )


def buildings(project: Project) -> QuerySet[Building]:
    return Building.objects.filter(estate__project=project).select_related("estate")


def flat_rows(user: Any, project: Project, page: list[Flat]) -> list[dict[str, Any]]:
    """The flats of a page, each with its household's code and head, masked unless the user
    sees personal data."""
    personal = sees_personal(user, project)
    return [
        {
            "flat": f,
            "household_code": f.household.code if f.household else "",
            "head": (
                (f.household.head_name if personal else mask_name(f.household.head_name))
                if f.household
                else ""
            ),
        }
        for f in page
    ]


def recent_imports(project: Project, user: Any) -> QuerySet[StockImport]:
    return StockImport.objects.filter(project=project, uploaded_by=user)[:10]


# --- the project page and the household page ----------------------------------------------------


def project_section(user: Any, project: Project) -> dict[str, Any] | None:
    """The stock's counts by status and the next planned handover, for the project page."""
    if not may(user, project, Action.VIEW):
        return None
    counts = status_counts(project)
    next_estate = (
        Estate.objects.filter(project=project, actual_handover__isnull=True)
        .order_by("planned_handover", "name")
        .first()
    )
    return {
        "counts": [(label, counts[value], value) for value, label in FlatStatus.choices],
        "total": sum(counts.values()),
        "estates": Estate.objects.filter(project=project).count(),
        "next_estate": next_estate,
        "next_handover": (
            Estate.objects.filter(project=project, actual_handover__isnull=True).aggregate(
                d=Min("planned_handover")
            )["d"]
        ),
    }


def household_part(user: Any, household: Household) -> dict[str, Any] | None:
    """For a household with an effective property exchange: its entitlement and the best
    combinations of the project's flats not yet allocated that fit it, with their price and
    balance."""
    if not may(user, household.project_id, Action.VIEW):
        return None
    ent = entitlement.for_household(household)
    if ent is None:
        return None
    # Once the household has chosen, its flats and their settlement are shown by the
    # selection part; the combinations still free are of no more use.
    if Choice.objects.filter(household=household, cancelled_at__isnull=True).exists():
        return {"entitlement": ent, "fits": [], "chosen": True}
    pool = Flat.objects.filter(
        project_id=household.project_id, status__in=OPEN_STATUSES
    ).select_related("estate", "building")
    found = entitlement.fits(ent, pool, limit=FITS_SHOWN)
    return {
        "entitlement": ent,
        "fits": [
            {
                "flats": fit.flats,
                "area": fit.area,
                "price": fit.priced.price,
                "balance": fit.priced.balance,
                "household_pays": fit.priced.household_pays,
                "amount": abs(fit.priced.balance),
            }
            for fit in found
        ],
    }
