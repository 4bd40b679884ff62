"""Demo data of the demolition module, written by seed_demo for the first demo project.

Through the real services, on the day of the seeding: the demolition officer accepts the vacated
houses of some households whose first instalment has been paid (which makes their second
instalment due), records the demolition of most of them and the debris clearance of one, and a
dust inspection of a demolition site that finds the debris uncovered, with its rectification
order open.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from zhengqian.accounts.models import User
from zhengqian.demolition import services
from zhengqian.demolition.models import Checkpoint
from zhengqian.payments.models import HouseholdAccount
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

__all__ = ["DemolitionCounts", "seed_demolition"]

_CONTRACTORS = ("浙江宏达拆除工程有限公司", "杭州安拆建设有限公司")
_HAULIERS = ("城建渣土运输有限公司",)


@dataclass
class DemolitionCounts:
    vacated: int = 0
    demolished: int = 0
    cleared: int = 0
    inspections: int = 0


def _photo(label: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small photo standing for the site photo the officer takes."""
    image = Image.new("RGB", (320, 200), colour)
    ImageDraw.Draw(image).text((12, 12), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(f"{label}.png", out.getvalue(), content_type="image/png")


def seed_demolition(
    *, project: Project, users: dict[str, User], rng: random.Random
) -> DemolitionCounts:
    """Vacating, demolition, clearance and a dust inspection; see the module's docstring."""
    counts = DemolitionCounts()
    officer = users["demolition"]
    today = timezone.localdate()
    paid = list(
        HouseholdAccount.objects.filter(project=project, void=False, first_paid_on__isnull=False)
        .order_by("household__code")
        .values_list("household_id", flat=True)
    )
    households = list(Household.objects.filter(pk__in=paid[:4]).order_by("code"))
    for n, household in enumerate(households):
        services.vacate(
            actor=officer,
            household=household,
            accepted_on=today,
            keys_handed_over=True,
            water_closed=True,
            power_closed=True,
            gas_closed=True,
            household_signatory=household.head_name,
            accepted_by=officer,
            witness=users["cadre"],
            form_scan=_photo(f"{household.code}-form", (90, 90, 90)),
            photos=[_photo(f"{household.code}-vacated", (70, 110, 150))],
            note="房屋已腾空，钥匙移交，水电气已关闭。",
        )
        counts.vacated += 1
        if n == len(households) - 1:
            continue  # vacated, waiting for the demolition team
        services.demolish(
            actor=officer,
            household=household,
            contractor=rng.choice(_CONTRACTORS),
            demolished_on=today,
            photos=[_photo(f"{household.code}-demolished", (150, 110, 70))],
            note="机械拆除，洒水降尘。",
        )
        counts.demolished += 1
        if n == 0:
            services.clear(
                actor=officer,
                household=household,
                haulier=_HAULIERS[0],
                cleared_on=today,
                disposal_site="城东建筑垃圾消纳场",
                volume=Decimal("86.50"),
            )
            counts.cleared += 1
    if len(households) > 1:
        site = households[1]
        findings = {c.value: c != Checkpoint.COVERED for c in Checkpoint}
        services.inspect(
            actor=officer,
            household=site,
            inspected_on=today,
            findings=findings,
            problems={Checkpoint.COVERED.value: "拆除后建筑垃圾裸露，未覆盖防尘网。"},
            inspector=officer,
            note="现场已责令施工单位整改。",
            photos=[_photo(f"{site.code}-dust", (120, 120, 60))],
        )
        counts.inspections += 1
    return counts
