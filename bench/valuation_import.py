"""Benchmark: importing a project's valuations from Excel.

The project: 10,000 households (one in ten non-residential), two buildings and one ancillary
each, the decision date recorded, an appraisal firm chosen by negotiation and one of its valuers.
The workbook: every household valued — its two buildings, one decoration item, its ancillary,
a business stoppage loss for the non-residential ones — written in the import format by the
product's own writer (~50,000 rows).

Each run happens in a child process on a fresh copy of a migrated empty database, so that every
run starts from the same state and the child's own peak memory can be read (``os.wait4``). The
child seeds the project (not timed) and then times what the valuer's clicks cost:

- **new**: the check when the file is uploaded (``imports.validate_upload``), then the
  confirmation, which checks the file again and writes the valuations in one transaction
  (``imports.valuation_import``);
- **replace**: the same for a second workbook with other unit prices, which replaces the
  10,000 valuations just written (their lines deleted and written anew, the valuations
  updated);
- **export**: the workbook of the valued project (which is also the template).

Run as a script, this module is the child: ``valuation_import.py HOUSEHOLDS FILE``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DECISION_DAY = dt.date(2026, 3, 2)


# --- The child: seeding and the timed imports -------------------------------------------------


def _seed(households: int) -> tuple[Any, Any]:
    """The project of survey_import's benchmark, filled with households, a chosen firm and its
    valuer; returns (project, valuer)."""
    from bench.survey_import import _project
    from zhengqian.accounts.models import Membership, User
    from zhengqian.accounts.roles import RoleCode
    from zhengqian.projects.models import Milestone
    from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind
    from zhengqian.valuation import services
    from zhengqian.valuation.models import AppraisalFirm, Valuer

    project, _surveyor = _project()
    Milestone.objects.create(
        project=project, code=services.DECISION_MILESTONE, order=1, actual_date=DECISION_DAY
    )
    groups = list(project.work_groups.order_by("pk"))
    Household.objects.bulk_create(
        (
            Household(
                project=project,
                code=f"VH{i + 1:05d}",
                work_group=groups[i * len(groups) // households],
                kind=HouseholdKind.NON_RESIDENTIAL if i % 10 == 0 else HouseholdKind.RESIDENTIAL,
                head_name=f"张{i}",
                division_code="330282",
                address=f"浙江省慈溪市新塘镇红旗村{i % 10 + 1}组{i + 1}号",
            )
            for i in range(households)
        ),
        batch_size=2000,
    )
    ids = list(
        Household.objects.filter(project=project).order_by("code").values_list("pk", flat=True)
    )
    Building.objects.bulk_create(
        (
            Building(
                household_id=pk,
                number=str(n),
                structure_type="brick_concrete",
                use="residential" if n == 1 else "auxiliary",
                floors=2 if n == 1 else 1,
                measured_area=Decimal(8000 + (i * 37 + n * 1301) % 17000) / 100,
            )
            for i, pk in enumerate(ids)
            for n in (1, 2)
        ),
        batch_size=2000,
    )
    Ancillary.objects.bulk_create(
        (
            Ancillary(
                household_id=pk,
                kind="wall",
                description="砖砌围墙",
                quantity=Decimal(i % 40 + 5),
                unit="m",
            )
            for i, pk in enumerate(ids)
        ),
        batch_size=2000,
    )
    manager = User.objects.create(username="bench_manager", full_name="基准项目经理")
    Membership.objects.create(user=manager, project=project, role=RoleCode.PROJECT_MANAGER)
    firm = AppraisalFirm.objects.create(
        name="宁波甬信房地产估价有限公司",
        grade="1",
        certificate_no="ZJ-BENCH-001",
        valid_until=dt.date(2030, 12, 31),
    )
    valuer = User.objects.create(username="bench_valuer", full_name="基准估价师")
    Valuer.objects.create(user=valuer, firm=firm)
    services.selection_negotiate(
        actor=manager,
        project=project,
        firm=firm,
        decided_on=DECISION_DAY,
        record_text="基准：协商选定评估机构。",
    )
    return project, valuer


def write_workbook(path: Path, project: Any, *, price: int) -> int:
    """Every household of the project valued at ``price`` yuan/m² (its auxiliary building at
    half), one decoration item each, its ancillary at 120 per unit; returns the rows written."""
    from zhengqian.survey.models import Ancillary, Building, HouseholdKind
    from zhengqian.valuation import excel

    def value(quantity: Decimal, unit_price: Decimal) -> Decimal:
        return (quantity * unit_price).quantize(Decimal("0.01"))

    households = []
    buildings = []
    decorations = []
    ancillaries = []
    for code, kind in project.households.order_by("code").values_list("code", "kind"):
        loss = Decimal("35000.00") if kind == HouseholdKind.NON_RESIDENTIAL else None
        households.append(
            [code, None, f"PG-{code}", DECISION_DAY, loss, "停产6个月" if loss else None]
        )
        decorations.append([code, "1", "厨房整体橱柜", Decimal("8000.00")])
    for code, number, area in (
        Building.objects.filter(household__project=project)
        .order_by("household__code", "number")
        .values_list("household__code", "number", "measured_area")
    ):
        unit_price = Decimal(price if number == "1" else price // 2)
        buildings.append([code, number, None, area, unit_price, value(area, unit_price), None])
    for code, pk, quantity in (
        Ancillary.objects.filter(household__project=project)
        .order_by("household__code", "pk")
        .values_list("household__code", "pk", "quantity")
    ):
        unit_price = Decimal("120.00")
        ancillaries.append(
            [code, pk, None, None, None, None, quantity, unit_price, value(quantity, unit_price)]
        )
    with path.open("wb") as out:
        excel.write_workbook(
            out,
            rows={
                excel.HOUSEHOLDS.key: households,
                excel.BUILDINGS.key: buildings,
                excel.DECORATIONS.key: decorations,
                excel.ANCILLARIES.key: ancillaries,
            },
            firm="宁波甬信房地产估价有限公司",
            decision_date=DECISION_DAY,
        )
    return len(households) + len(buildings) + len(decorations) + len(ancillaries)


def _import(path: Path, project: Any, valuer: Any) -> dict[str, Any]:
    from bench.harness import time_import
    from zhengqian.valuation import imports

    return time_import(imports.FLOW, path, project, valuer)


def child(households: int, path: Path) -> dict[str, Any]:
    import io

    import django

    django.setup()
    from zhengqian.valuation import imports

    project, valuer = _seed(households)
    rows = write_workbook(path, project, price=12000)
    new = _import(path, project, valuer)
    write_workbook(path, project, price=12500)
    replace = _import(path, project, valuer)
    started = time.perf_counter()
    imports.valuation_export(actor=valuer, project=project, out=io.BytesIO())
    export_ms = (time.perf_counter() - started) * 1000
    return {"rows": rows, "new": new, "replace": replace, "export_ms": export_ms}


# --- The parent: runs and the report ----------------------------------------------------------


def _child(databases: Any, env: dict[str, str], households: int, path: Path) -> tuple[dict, float]:
    command = [sys.executable, str(Path(__file__).resolve()), str(households), str(path)]
    output, _wall_ms, peak = databases.run_on_seed(command, env, what="valuation import child")
    return json.loads(output.strip().splitlines()[-1]), peak


def run(*, databases: Any, env: dict[str, str], households: int, runs: int) -> list[Any]:
    from bench.harness import progress, summarise

    path = databases.var_dir / f"valuation-{households}.xlsx"
    databases.prepare_seed_template(env)
    measured: dict[str, list[float]] = {}
    peaks: list[float] = []
    rows = 0
    written: dict[str, int] = {}
    for n in range(runs):
        progress(f"valuation import: run {n + 1} of {runs} ({households} households)")
        databases.fresh_seed_database()
        outcome, peak = _child(databases, env, households, path)
        rows = outcome["rows"]
        written = outcome["new"]["written"]
        assert written["households"] == households, written
        assert outcome["replace"]["written"] == written, outcome["replace"]["written"]
        for step in ("new", "replace"):
            for key in ("total_ms", "check_ms", "confirm_ms"):
                measured.setdefault(f"{step}_{key}", []).append(outcome[step][key])
        measured.setdefault("export_ms", []).append(outcome["export_ms"])
        peaks.append(peak)

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    peak = max(peaks)
    results = []
    for step, label in (("new", "new valuations"), ("replace", "replacing them")):
        results.append(
            summarise(
                f"valuation import: {households} households, {label}, check + confirm",
                measured[f"{step}_total_ms"],
                f"{rows} rows ({written}); check {median(measured[f'{step}_check_ms']) / 1000:.1f}"
                f" s, confirm (check again + write) "
                f"{median(measured[f'{step}_confirm_ms']) / 1000:.1f} s; peak RSS {peak:.0f} MiB",
                rows=rows,
                check_ms=round(median(measured[f"{step}_check_ms"]), 1),
                confirm_ms=round(median(measured[f"{step}_confirm_ms"]), 1),
                peak_rss_mib=round(peak, 1),
            )
        )
    results.append(
        summarise(
            f"valuation export: {households} households",
            measured["export_ms"],
            "the workbook of the valued project, which is also the template",
        )
    )
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(child(int(sys.argv[1]), Path(sys.argv[2]))))
