"""Benchmark: importing a project's survey from Excel, ours against django-import-export.

The workbook: 10,000 households (about 3 persons, 2 buildings and 3 ancillaries each, ~90,000
rows), written in the template format by the product's own writer, labels and all, as a
surveyor would fill it in.

Each import runs in a child process on a fresh copy of a migrated empty database, so that every
run starts from the same state and the child's own peak memory can be read (``os.wait4``):

- **ours**: what the user's clicks cost — the check when the file is uploaded
  (``imports.validate_upload``), then the confirmation, which checks the file again and writes
  the valid households in one transaction (``imports.survey_import``);
- **django-import-export 4.4.3**, the library a Django team would otherwise reach for, with
  ``ModelResource`` classes for the four models over the same sheets (turned into tablib
  Datasets), widgets for the labels and the lookups by household code, model validation on
  (``clean_model_instances``, so that ID numbers are checked as ours are), all four resources
  in one transaction: once with the library's defaults (row by row) and once with
  ``use_bulk=True``. It runs one pass, where ours runs two.

The export of the imported project is timed in this process, on the benchmark database.

Run as a script, this module is the child: ``survey_import.py ENGINE FILE``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("ours", "iex", "iex_bulk")
WORK_GROUPS = tuple(f"第{n}工作组" for n in "一二三四五")


# --- The workbook -------------------------------------------------------------------------


def write_workbook(path: Path, households: int, seed: int = 2026) -> dict[str, int]:
    """Write the benchmark's workbook; returns how many rows each sheet got."""
    from zhengqian.core.idcard import make_id_number
    from zhengqian.survey import excel

    rng = random.Random(seed)
    vocabulary = excel.Vocabulary.load()
    label = vocabulary.label
    serial = iter(range(10**7))

    def id_number(born: dt.date, male: bool) -> str:
        n = next(serial)
        # Unique: a new birth date every 500 numbers, the sequence's parity gives the sex.
        day = born + dt.timedelta(days=n // 500)
        return make_id_number("330282", day, (n % 500) * 2 + (1 if male else 0))

    persons: list[list[Any]] = []
    buildings: list[list[Any]] = []
    ancillaries: list[list[Any]] = []
    household_rows: list[list[Any]] = []
    relations = ["spouse", "child", "child", "parent", "grandchild"]
    for i in range(households):
        code = f"BH{i + 1:05d}"
        enterprise = rng.random() < 0.1
        members = rng.choice((1, 2, 3, 3, 4, 5)) if not enterprise else 1
        family: list[list[Any]] = []
        for m in range(members):
            male = m == 0 or rng.random() < 0.5
            number = id_number(dt.date(1940 + rng.randrange(60), 1, 1), male)
            born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            relation = "head" if m == 0 else relations[(m - 1) % len(relations)]
            family.append(
                [
                    code,
                    f"张{m}{i}",
                    number,
                    label("relation", relation),
                    excel.SEX_LABELS["M" if male else "F"],
                    born,
                    label("hukou_type", rng.choice(("agricultural", "resident"))),
                    excel.YES,
                    None,
                    None,
                    None,
                ]
            )
        head = family[0]
        household_rows.append(
            [
                code,
                WORK_GROUPS[i * len(WORK_GROUPS) // households],
                excel.KIND_LABELS["non_residential" if enterprise else "residential"],
                head[1],
                head[2],
                f"138{rng.randrange(10**8):08d}",
                "330282",
                f"浙江省慈溪市新塘镇红旗村{i % 10 + 1}组{i + 1}号",
                label("land_type", "collective_homestead"),
                None,
                "承租户甲" if enterprise else None,
                None,
            ]
        )
        persons.extend(family)
        for number in range(1, rng.choice((1, 2, 2, 3)) + 1):
            buildings.append(
                [
                    code,
                    str(number),
                    label("structure_type", rng.choice(("brick_concrete", "brick_wood"))),
                    label("building_use", "residential" if number == 1 else "auxiliary"),
                    rng.choice((1, 2, 3)),
                    rng.randint(1970, 2015),
                    Decimal(rng.randint(2000, 30000)) / 100,
                    f"浙(2019)慈溪市不动产权第{i:06d}{number}号" if number == 1 else None,
                    None,
                    None,
                ]
            )
        for _n in range(rng.choice((1, 2, 3, 4, 5))):
            kind, unit = rng.choice((("wall", "m"), ("well", "口"), ("tree", "株"), ("crop", "m²")))
            quantity = Decimal(rng.randint(1, 400))
            ancillaries.append(
                [code, label("ancillary_type", kind), None, quantity, unit, None, None]
            )
    counts = {
        "households": len(household_rows),
        "persons": len(persons),
        "buildings": len(buildings),
        "ancillaries": len(ancillaries),
    }
    with path.open("wb") as out:
        excel.write_workbook(
            out,
            rows={
                excel.HOUSEHOLDS.key: household_rows,
                excel.PERSONS.key: persons,
                excel.BUILDINGS.key: buildings,
                excel.ANCILLARIES.key: ancillaries,
            },
            choices=excel.Choices(work_groups=list(WORK_GROUPS), vocabulary=vocabulary),
        )
    return counts


# --- The child: one import ------------------------------------------------------------------


def _project() -> tuple[Any, Any]:
    from zhengqian.accounts.models import Membership, User
    from zhengqian.accounts.roles import RoleCode
    from zhengqian.projects.models import District, Project, WorkGroup
    from zhengqian.projects.procedures import ProjectKind

    district = District.objects.create(code="BENCH-IMP", name="导入基准片区")
    project = Project.objects.create(
        code="BENCH-IMPORT", name="导入基准项目", kind=ProjectKind.COLLECTIVE, district=district
    )
    WorkGroup.objects.bulk_create(WorkGroup(project=project, name=n) for n in WORK_GROUPS)
    actor = User.objects.create(username="bench_importer", full_name="导入基准")
    Membership.objects.create(user=actor, project=project, role=RoleCode.SURVEYOR)
    return project, actor


def _ours(path: Path, project: Any, actor: Any) -> dict[str, Any]:
    from bench.harness import time_import
    from zhengqian.survey import imports

    return time_import(imports.FLOW, path, project, actor)


def _datasets(path: Path) -> dict[str, Any]:
    """The four data sheets as tablib Datasets (the form django-import-export imports)."""
    import tablib
    from openpyxl import load_workbook

    from zhengqian.survey import excel

    book = load_workbook(path, read_only=True, data_only=True)
    datasets: dict[str, Any] = {}
    for spec in excel.SHEETS:
        rows = book[spec.title].iter_rows(values_only=True)
        header = list(next(rows))
        width = len(header)
        data = tablib.Dataset(headers=header)
        for row in rows:
            if any(v is not None for v in row):
                data.append(list(row) + [None] * (width - len(row)))
        datasets[spec.key] = data
    book.close()
    return datasets


def _resources(project: Any, *, bulk: bool) -> dict[str, Any]:
    """django-import-export resources over the template's columns, as a team would write them."""
    from import_export import fields, resources, widgets

    from zhengqian.core.models import DictionaryEntry
    from zhengqian.projects.models import WorkGroup
    from zhengqian.survey import excel
    from zhengqian.survey.models import Ancillary, Building, Household, Person

    codes: dict[str, dict[str, str]] = {}
    for entry in DictionaryEntry.objects.filter(active=True):
        table = codes.setdefault(entry.kind, {})
        table[entry.label_zh] = entry.code
        table[entry.code] = entry.code

    class Mapping(widgets.Widget):
        def __init__(self, table: dict[str, Any], blank: Any = "") -> None:
            super().__init__()
            self.table, self.blank = table, blank

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            if value in (None, ""):
                return self.blank
            if str(value) not in self.table:
                raise ValueError(f"unknown value {value!r}")
            return self.table[str(value)]

    class ProjectGroups(widgets.ForeignKeyWidget):
        def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
            return WorkGroup.objects.filter(project=project)

    class ProjectHouseholds(widgets.ForeignKeyWidget):
        def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
            return Household.objects.filter(project=project)

    def column(spec: excel.SheetSpec, key: str, widget: Any = None) -> fields.Field:
        attribute = key
        return fields.Field(attribute=attribute, column_name=spec.column(key).header, widget=widget)

    def dictionary(kind: str) -> Mapping:
        return Mapping(codes[kind])

    text = widgets.CharWidget
    kinds = {label: value for value, label in excel.KIND_LABELS.items()}
    sexes = {label: value for value, label in excel.SEX_LABELS.items()}

    class Base(resources.ModelResource):
        class Meta:
            clean_model_instances = True
            use_bulk = bulk
            batch_size = 1000

    hs, ps, bs, an = excel.HOUSEHOLDS, excel.PERSONS, excel.BUILDINGS, excel.ANCILLARIES

    class HouseholdResource(Base):
        code = column(hs, "code", text())
        work_group = column(hs, "work_group", ProjectGroups(WorkGroup, "name"))
        kind = column(hs, "kind", Mapping(kinds, "residential"))
        head_name = column(hs, "head_name", text())
        head_id_number = column(hs, "head_id_number", text())
        phone = column(hs, "phone", text())
        division_code = column(hs, "division_code", text())
        address = column(hs, "address", text())
        land_type = column(hs, "land_type", dictionary("land_type"))
        business_licence = column(hs, "business_licence", text())
        tenants = column(hs, "tenants", text())
        notes = column(hs, "notes", text())

        class Meta(Base.Meta):
            model = Household
            import_id_fields = ("code",)
            fields = tuple(c.key for c in hs.columns)

        def get_queryset(self) -> Any:
            return Household.objects.filter(project=project)

        def init_instance(self, row: Any = None) -> Any:
            return Household(project=project)

    class MemberResource(Base):
        household = fields.Field(
            attribute="household",
            column_name="户编号",
            widget=ProjectHouseholds(Household, "code"),
        )

    class PersonResource(MemberResource):
        name = column(ps, "name", text())
        id_number = column(ps, "id_number", text())
        relation = column(ps, "relation", dictionary("relation"))
        sex = column(ps, "sex", Mapping(sexes))
        birth_date = column(ps, "birth_date", widgets.DateWidget())
        hukou_type = column(ps, "hukou_type", dictionary("hukou_type"))
        registered_here = column(
            ps, "registered_here", Mapping({excel.YES: True, excel.NO: False}, True)
        )
        hukou_place = column(ps, "hukou_place", text())
        special_status = column(ps, "special_status", dictionary("special_status"))
        notes = column(ps, "notes", text())

        class Meta(Base.Meta):
            model = Person
            # "id": the default import_id_fields; the sheet has no id column, so every row
            # is a new record.
            fields = ("id", *(c.key for c in ps.columns))

    class BuildingResource(MemberResource):
        number = column(bs, "number", text())
        structure_type = column(bs, "structure_type", dictionary("structure_type"))
        use = column(bs, "use", dictionary("building_use"))
        floors = column(bs, "floors", widgets.IntegerWidget())
        year_built = column(bs, "year_built", widgets.IntegerWidget())
        measured_area = column(bs, "measured_area", widgets.DecimalWidget())
        title_certificate_no = column(bs, "title_certificate_no", text())
        built_on = column(bs, "built_on", widgets.DateWidget())
        notes = column(bs, "notes", text())

        class Meta(Base.Meta):
            model = Building
            # "id": the default import_id_fields; the sheet has no id column, so every row
            # is a new record.
            fields = ("id", *(c.key for c in bs.columns))

    class AncillaryResource(MemberResource):
        kind = column(an, "kind", dictionary("ancillary_type"))
        description = column(an, "description", text())
        quantity = column(an, "quantity", widgets.DecimalWidget())
        unit = column(an, "unit", text())
        built_on = column(an, "built_on", widgets.DateWidget())
        notes = column(an, "notes", text())

        class Meta(Base.Meta):
            model = Ancillary
            # "id": the default import_id_fields; the sheet has no id column, so every row
            # is a new record.
            fields = ("id", *(c.key for c in an.columns))

    return {
        hs.key: HouseholdResource(),
        ps.key: PersonResource(),
        bs.key: BuildingResource(),
        an.key: AncillaryResource(),
    }


def _import_export(path: Path, project: Any, *, bulk: bool) -> dict[str, Any]:
    from django.db import transaction

    started = time.perf_counter()
    datasets = _datasets(path)
    loaded = time.perf_counter()
    resources = _resources(project, bulk=bulk)
    written: dict[str, int] = {}
    with transaction.atomic():
        for key, resource in resources.items():
            result = resource.import_data(
                datasets[key], dry_run=False, raise_errors=True, use_transactions=False
            )
            assert not result.has_validation_errors(), result.invalid_rows[:3]
            written[key] = result.totals["new"]
    finished = time.perf_counter()
    return {
        "total_ms": (finished - started) * 1000,
        "load_ms": (loaded - started) * 1000,
        "import_ms": (finished - loaded) * 1000,
        "written": written,
    }


def child(engine: str, path: Path) -> dict[str, Any]:
    import django

    django.setup()
    project, actor = _project()
    if engine == "ours":
        return _ours(path, project, actor)
    return _import_export(path, project, bulk=engine == "iex_bulk")


# --- The parent: runs and the report ----------------------------------------------------------


def run(*, databases: Any, env: dict[str, str], households: int, runs: dict[str, int]) -> list[Any]:
    from bench.harness import progress, summarise

    path = databases.var_dir / f"survey-{households}.xlsx"
    progress(f"survey import: writing the workbook of {households} households")
    counts = write_workbook(path, households)
    rows = sum(counts.values())
    progress(f"survey import: {counts} ({path.stat().st_size / 1e6:.1f} MB)")
    databases.prepare_seed_template(env)
    measured: dict[str, dict[str, list[float]]] = {}
    for engine in ENGINES:
        for n in range(runs.get(engine, 0)):
            progress(f"survey import ({engine}): run {n + 1} of {runs[engine]}")
            databases.fresh_seed_database()
            outcome, wall_ms, peak = _child(databases, env, engine, path)
            written = outcome["written"]
            assert written == counts, f"{engine} wrote {written}, the file has {counts}"
            m = measured.setdefault(engine, {})
            for key, value in outcome.items():
                if key.endswith("_ms"):
                    m.setdefault(key, []).append(value)
            m.setdefault("wall_ms", []).append(wall_ms)
            m.setdefault("peak_rss_mib", []).append(peak)

    results = []
    ours = measured.get("ours")

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    if ours:
        peak = max(ours["peak_rss_mib"])
        results.append(
            summarise(
                f"survey import (ours): {households} households, check + confirm",
                ours["total_ms"],
                f"{rows} rows; check {median(ours['check_ms']) / 1000:.1f} s, confirm (check "
                f"again + write) {median(ours['confirm_ms']) / 1000:.1f} s; whole child incl. "
                f"start-up {median(ours['wall_ms']) / 1000:.1f} s; peak RSS {peak:.0f} MiB",
                rows=rows,
                check_ms=round(median(ours["check_ms"]), 1),
                confirm_ms=round(median(ours["confirm_ms"]), 1),
                wall_ms=round(median(ours["wall_ms"]), 1),
                peak_rss_mib=round(peak, 1),
            )
        )
    for engine, label in (("iex", "row by row (defaults)"), ("iex_bulk", "use_bulk=True")):
        m = measured.get(engine)
        if not m:
            continue
        peak = max(m["peak_rss_mib"])
        ratio = median(m["total_ms"]) / median(ours["total_ms"]) if ours else 0.0
        results.append(
            summarise(
                f"survey import (django-import-export, {label}): {households} households",
                m["total_ms"],
                f"one pass; tablib load {median(m['load_ms']) / 1000:.1f} s; whole child "
                f"{median(m['wall_ms']) / 1000:.1f} s; peak RSS {peak:.0f} MiB; "
                f"ours is {ratio:.1f}x faster",
                rows=rows,
                wall_ms=round(median(m["wall_ms"]), 1),
                peak_rss_mib=round(peak, 1),
                ours_faster_by=round(ratio, 2),
            )
        )
    results += _export(path, households, n=runs.get("export", 0))
    return results


def _child(
    databases: Any, env: dict[str, str], engine: str, path: Path
) -> tuple[dict, float, float]:
    command = [sys.executable, str(Path(__file__).resolve()), engine, str(path)]
    output, wall_ms, peak = databases.run_on_seed(
        command, env, what=f"survey import child ({engine})"
    )
    return json.loads(output.strip().splitlines()[-1]), wall_ms, peak


def _export(path: Path, households: int, *, n: int) -> list[Any]:
    """Import the workbook into the benchmark database once, then time its export."""
    if n <= 0:
        return []
    from bench.harness import progress, summarise, time_ms

    progress(f"survey export: importing {households} households into the benchmark database")
    project, actor = _project()
    outcome = _ours(path, project, actor)
    progress(f"survey export: {n} exports")
    samples = [time_ms(lambda: _export_once(project, actor)) for _ in range(n)]
    return [
        summarise(
            f"survey export (ours): {households} households",
            samples,
            f"{sum(outcome['written'].values())} rows to .xlsx: openpyxl for the package, "
            "the rows streamed in",
        )
    ]


def _export_once(project: Any, actor: Any) -> None:
    from zhengqian.survey import imports

    out = io.BytesIO()
    imports.survey_export(actor=actor, project=project, out=out)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    engine_name, file_name = sys.argv[1], sys.argv[2]
    if engine_name not in ENGINES:
        raise SystemExit(f"engine must be one of {', '.join(ENGINES)}")
    print(json.dumps(child(engine_name, Path(file_name))))
