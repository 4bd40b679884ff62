"""Agreements: drafting one (Word + PDF) and a thousand in the background. Imported after
django.setup().

The project of the compensation benchmark (the same bulk seed and eight-item policy), its
households calculated as a batch and the calculations approved; the sample templates uploaded.
Then:
- one agreement drafted through the service (the signing officer's click: the next number, the
  Word file from the template, its PDF rendition, both stored), for n households;
- the drafting job of the worker over the project's other households (one transaction each,
  as in production), timed from start to end.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bench.compensation import DECISION_DAY, ITEMS, _seed, _user
from bench.harness import Result, progress, summarise, time_ms
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import batch as drafting
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementKind
from zhengqian.agreements.samples import sample_template
from zhengqian.compensation import batch as calculating
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import Calculation, CalculationStatus, CalculationTransition
from zhengqian.projects.models import District, Milestone, Project
from zhengqian.projects.procedures import ProjectKind

TARGET_ONE_S = 3
TARGET_BATCH_S = 300
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def agreements(*, households: int, n: int, warmup: int) -> list[Result]:
    progress(f"agreements: a project of {households + n + warmup} approved calculations")
    district, _created = District.objects.get_or_create(code="BENCH", defaults={"name": "基准片区"})
    project = Project.objects.create(
        code="BENCH-AGR", name="签约基准项目", kind=ProjectKind.STATE_OWNED, district=district
    )
    Milestone.objects.update_or_create(
        project=project,
        code="decision_announced",
        defaults={"order": 1, "actual_date": DECISION_DAY},
    )
    pm = _user("bench_agr_pm", RoleCode.PROJECT_MANAGER, project)
    accountant = _user("bench_agr_accountant", RoleCode.ACCOUNTANT, project)
    reviewer = _user("bench_agr_reviewer", RoleCode.POLICY_REVIEWER, project)
    valuer = _user("bench_agr_valuer", RoleCode.VALUER, project)
    officer = _user("bench_agr_officer", RoleCode.SIGNING_OFFICER, project)
    _seed(project, households + n + warmup, valuer)
    policy = compensation.policy_draft(actor=pm, project=project, title="基准补偿方案")
    for item in ITEMS:
        compensation.policy_item_save(actor=pm, policy=policy, **item)
    compensation.policy_publish(actor=pm, policy=policy)
    job = calculating.batch_start(
        actor=accountant,
        project=project,
        mode="cash",
        signing_on=timezone.localdate(),
    )
    calculating.run_batch(job)
    # The review chain is the compensation benchmark's business: here the calculations are
    # approved in bulk, with their log rows, as the drafting reads them.
    calcs = list(Calculation.objects.filter(household__project=project))
    CalculationTransition.objects.bulk_create(
        CalculationTransition(
            calculation=c,
            from_status=CalculationStatus.ACCOUNTING_REVIEW,
            to_status=CalculationStatus.APPROVED,
            actor=reviewer,
        )
        for c in calcs
    )
    Calculation.objects.filter(pk__in=[c.pk for c in calcs]).update(
        status=CalculationStatus.APPROVED
    )
    for kind in AgreementKind.values:
        services.template_upload(
            actor=pm,
            project=project,
            kind=kind,
            title=f"统一协议模板（{kind}）",
            file=SimpleUploadedFile(f"{kind}.docx", sample_template(kind), content_type=DOCX),
        )
    services.pattern_set(actor=pm, project=project, pattern="XM{year}-集-{seq:6}")

    progress(f"agreements: {n} drafted one by one (Word + PDF)")
    calcs.sort(key=lambda c: c.household_id)
    samples = []
    for i, calc in enumerate(calcs[: warmup + n]):
        elapsed = time_ms(lambda c=calc: services.draft(actor=officer, calculation=c))
        if i >= warmup:
            samples.append(elapsed)

    progress(f"agreements: {households} drafted by the background job")
    started = timezone.now()
    job = drafting.drafts_start(actor=officer, project=project)
    elapsed = time_ms(lambda: drafting.run_drafts(job))
    job.refresh_from_db()
    assert job.done == households and not job.skipped, (job.done, job.skipped)
    made = Agreement.objects.filter(project=project, drafted_at__gte=started).count()
    assert made == households, made
    sequences = sorted(Agreement.objects.filter(project=project).values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    per = elapsed / households
    return [
        summarise(
            "agreements: one drafted (number, Word, PDF, stored)",
            samples,
            f"target ≤ {TARGET_ONE_S} s",
        ),
        summarise(
            f"agreements: {households} drafted in the background",
            [elapsed],
            f"{elapsed / 1000:.0f} s, {per:.0f} ms each; numbers 1…{len(sequences)} without "
            f"gaps; target ≤ {TARGET_BATCH_S} s",
        ),
    ]
