"""Imports from Excel, whatever the module: the uploaded file kept as a job, its check, the
user's confirmation and the write, the cells' parsing, and the bulk writes of checked rows.

An import runs in two steps. The check reads every row, reports every fault at its sheet, row
and column (zhengqian.core.excel.Problem), and works out what would be written; nothing is
written. The report is kept on the job (a model built on ImportJob) so that the page, the error
download and the confirmation all see the same check. When the user confirms, the stored file is
checked again against the database as it is then, and written in one transaction; nothing is
written when the outcome of the new check differs from the one the user confirmed.

Each module brings its format, its check (a WorkbookCheck, whose ImportReport says which
households it keeps) and its write of the households kept, and declares its import as an
ImportFlow around them, which its pages (zhengqian.core.import_views.ImportPages) and its
background tasks run. Small files run within the request, large ones in the background worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final, Generic, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models
from django.db.models import DateField, DecimalField, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.core.excel import (
    Column,
    Problem,
    SheetReader,
    SheetSpec,
    UnreadableWorkbook,
    WorkbookReader,
)

logger = logging.getLogger(__name__)

# The report keeps this many faults (the count is exact): enough to fix a file by, and a page
# and a JSON field that stay small when a whole column is wrong.
MAX_STORED_PROBLEMS: Final = 5_000
BATCH_SIZE: Final = 1_000

# The limits of a module's import, which it imports from here (and a test lowers there).
MAX_UPLOAD_BYTES: Final = 20 * 1024 * 1024
# Files up to this many households are checked and imported within the request; larger ones by
# the background worker, with a progress bar.
SYNC_MAX_HOUSEHOLDS: Final = 500
# Far above any project (the largest have a few thousand households), low enough that a
# malicious file cannot keep a worker busy for long.
MAX_ROWS_PER_SHEET: Final = 200_000
PROGRESS_EVERY: Final = 2_000

Progress = Callable[[int, int], None]


# --- The job -------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("Queued")
    VALIDATING = "validating", gettext_lazy("Checking")
    VALIDATED = "validated", gettext_lazy("Checked")
    IMPORTING = "importing", gettext_lazy("Importing")
    DONE = "done", gettext_lazy("Imported")
    FAILED = "failed", gettext_lazy("Failed")

    @property
    def is_running(self) -> bool:
        """A worker has (or will have) this import in hand: the page polls its progress."""
        return self in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportJob(models.Model):
    """One uploaded workbook: its check, and its import once the user confirms it.

    A concrete job adds its project and its file (stored under a name that never comes from the
    user; the original name is kept in a field).
    """

    original_name = models.CharField(gettext_lazy("file name"), max_length=200)
    size = models.PositiveIntegerField(gettext_lazy("size (bytes)"))
    sha256 = models.CharField(gettext_lazy("checksum"), max_length=64)
    status = models.CharField(
        gettext_lazy("status"),
        max_length=16,
        choices=ImportStatus.choices,
        default=ImportStatus.QUEUED,
    )
    # Rows of the workbook and how many of them the current step has read (the progress bar).
    total_rows = models.PositiveIntegerField(gettext_lazy("rows"), default=0)
    processed_rows = models.PositiveIntegerField(gettext_lazy("rows processed"), default=0)
    error_count = models.PositiveIntegerField(gettext_lazy("errors"), default=0)
    # [[sheet, row, column, message, household code], …], at most MAX_STORED_PROBLEMS.
    errors = models.JSONField(gettext_lazy("errors"), default=list, blank=True)
    # Counts, what would be written and what is skipped, and the digest the confirmation must
    # match.
    summary = models.JSONField(gettext_lazy("summary"), default=dict, blank=True)
    message = models.CharField(gettext_lazy("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("uploaded by"),
    )
    created_at = models.DateTimeField(gettext_lazy("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(gettext_lazy("finished at"), null=True, blank=True)

    # The concrete job's own fields, declared here for the functions below.
    file: Any
    project: Any
    project_id: int

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_running(self) -> bool:
        return ImportStatus(self.status).is_running

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


J = TypeVar("J", bound=ImportJob)


class UploadRefused(ValidationError):
    """An upload refused before it is stored (too large, empty)."""


class DataChanged(Exception):
    """The database changed between the check and the write in a way the check did not see."""


@dataclass
class ImportReport(ABC):
    """What a module's check found: the faults, the households of the file (each with its
    ``code``), those skipped with the first fault that skips each, the rows read, and whether
    the file could not be read at all. The module's report says which households it keeps and
    how it counts them; the summary is kept on the job."""

    problems: list[Problem]
    drafts: dict[str, Any]
    # Households skipped, with the first fault that skips each (sheet, row, column: message).
    skipped: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    fatal: bool = False

    @property
    @abstractmethod
    def kept(self) -> list[Any]:
        """The households an import would write."""

    @property
    def listed(self) -> Iterable[Any]:
        """The households the report counts as in the file."""
        return self.drafts.values()

    @abstractmethod
    def counts(self, drafts: Iterable[Any]) -> dict[str, int]:
        """How many households, members, buildings … these drafts hold, by the module's kinds."""

    @property
    def digest(self) -> str:
        """Names the set of households an import would write: the confirmation must match it."""
        kept = sorted(d.code for d in self.kept)
        return hashlib.sha256("\n".join(kept).encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        return {
            "fatal": self.fatal,
            "rows": self.rows_read,
            "in_file": self.counts(self.listed),
            "valid": self.counts(self.kept),
            "kept_codes": [d.code for d in self.kept],
            "skipped": [[code, why] for code, why in self.skipped.items()],
            **self.more_summary(),
            "digest": self.digest,
        }

    def more_summary(self) -> dict[str, Any]:
        """What else the module's summary holds."""
        return {}


@dataclass
class ImportOutcome:
    report: Any  # the module's ImportReport
    # False when the check no longer matches the one the user confirmed (nothing written).
    matched: bool
    written: dict[str, int]


def too_large_message(max_bytes: int) -> str:
    return _("The file is larger than %(max)d MB; split it into several files.") % {
        "max": max_bytes // (1024 * 1024)
    }


def store_upload(job: J, upload: UploadedFile, *, max_bytes: int) -> J:
    """Keep an uploaded workbook on a new job (its project and uploader already set), with its
    name, size and checksum. The caller has checked the uploader's right."""
    size = upload.size or 0
    if size == 0:
        raise UploadRefused(_("The file is empty."), code="empty")
    if size > max_bytes:
        raise UploadRefused(too_large_message(max_bytes), code="too_large")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (upload.name or "upload.xlsx").replace("\\", "/").rsplit("/", 1)[-1][:200]
    job.original_name = name
    job.size = size
    job.sha256 = digest.hexdigest()
    job.file.save(name, upload, save=False)
    job.save()
    return job


def progress_updater(job: ImportJob) -> Progress:
    model = type(job)

    def update(done: int, total: int) -> None:
        model._default_manager.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    return update


def store_report(job: ImportJob, report: ImportReport, **extra: Any) -> None:
    job.errors = [p.as_json() for p in report.problems[:MAX_STORED_PROBLEMS]]
    job.error_count = len(report.problems)
    job.summary = {**report.summary(), **extra}
    job.processed_rows = report.rows_read
    job.total_rows = max(report.rows_read, 1)


def claim(job: ImportJob) -> bool:
    """Claim a checked import for writing; False when it is not waiting for confirmation
    (already confirmed by a second click, or still being checked). The caller has checked the
    user's right."""
    claimed = (
        type(job)
        ._default_manager.filter(pk=job.pk, status=ImportStatus.VALIDATED)
        .update(status=ImportStatus.IMPORTING, processed_rows=0, message="")
    )
    return claimed == 1


def mark_failed(job: J, message: str) -> J:
    job.status = ImportStatus.FAILED
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])
    return job


def problems_of(job: ImportJob) -> list[Problem]:
    return [Problem.from_json(item) for item in job.errors]


def sha256_of(fileobj: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def describe(p: Problem) -> str:
    """A fault in one line, as the list of skipped households shows it."""
    return _("%(sheet)s row %(row)s, %(column)s: %(message)s") % {
        "sheet": p.sheet,
        "row": p.row if p.row is not None else "—",
        "column": p.column or "—",
        "message": p.message,
    }


def skipped_households(problems: Iterable[Problem], codes: Iterable[str]) -> dict[str, str]:
    """The households (of ``codes``, in their order) that have a fault, each with its first
    one in the order of ``problems``: a household with any fault is skipped as a whole."""
    first: dict[str, Problem] = {}
    for p in problems:
        first.setdefault(p.household, p)
    return {code: describe(first[code]) for code in codes if code in first}


class WriteKept(Protocol):
    """A module's write of the households its check kept, in one transaction; what it wrote,
    counted. ``details`` (the file's name and checksum) go into its audit event."""

    def __call__(
        self,
        *,
        actor: Any,
        project: Any,
        grant: Any,
        report: Any,
        kept: list[Any],
        details: dict[str, Any],
        job: Any,
    ) -> dict[str, int]: ...


@dataclass(frozen=True, kw_only=True)
class ImportFlow(Generic[J]):
    """One module's import from the upload to the write: its job model, its right, its check
    (a WorkbookCheck) and its write, and the limits that send a file to the background worker.
    The module's pages (zhengqian.core.import_views.ImportPages) and its background tasks run
    it.
    """

    model: type[J]
    # Raises PermissionDenied unless the actor may import into the project; what it returns
    # (the "grant": the valuers' firm, say) is handed to the module's check and write.
    authorise: Callable[[Any, Any], Any]
    # The module's check for (actor, project, grant, on_progress), whose run(file) reports.
    validator: Callable[[Any, Any, Any, Progress | None], WorkbookCheck]
    write_kept: WriteKept
    # The households of a workbook, estimated without reading it; None when it cannot tell.
    estimate_households: Callable[[IO[bytes]], int | None]
    # The module's limits, looked up when used: the largest upload, and the most households
    # checked and written within the request (a larger file goes to the background worker).
    max_upload_bytes: Callable[[], int]
    sync_max_households: Callable[[], int]

    def check(
        self,
        *,
        actor: Any,
        project: Any,
        upload: IO[bytes],
        on_progress: Progress | None = None,
    ) -> ImportReport:
        """Check a workbook for an import into the project; writes nothing."""
        grant = self.authorise(actor, project)
        return self.validator(actor, project, grant, on_progress).run(upload)

    def write(
        self,
        *,
        actor: Any,
        project: Any,
        upload: IO[bytes],
        file_name: str,
        sha256: str = "",
        expected_digest: str | None = None,
        on_progress: Progress | None = None,
        job: J | None = None,
    ) -> ImportOutcome:
        """Check the workbook again and write its valid households in one transaction.

        With ``expected_digest`` (the digest of the check the user saw), nothing is written
        when the households that would be written are no longer the same ones. The check itself
        runs before the transaction: SQLite takes its write lock when a transaction begins, and
        reading a large file must not hold every other writer off for its whole length.
        """
        grant = self.authorise(actor, project)
        if not sha256:
            sha256 = sha256_of(upload)
        report = self.validator(actor, project, grant, on_progress).run(upload)
        if expected_digest is not None and report.digest != expected_digest:
            return ImportOutcome(report=report, matched=False, written={})
        kept = report.kept
        if not kept:
            return ImportOutcome(report=report, matched=True, written={})
        written = self.write_kept(
            actor=actor,
            project=project,
            grant=grant,
            report=report,
            kept=kept,
            details={"file_name": file_name, "sha256": sha256},
            job=job,
        )
        return ImportOutcome(report=report, matched=True, written=written)

    def upload(self, *, actor: Any, project: Any, upload: UploadedFile) -> J:
        """Store an uploaded workbook for checking. Nothing of the module's data is written."""
        self.authorise(actor, project)
        job = self.model(project=project, created_by=actor)
        return store_upload(job, upload, max_bytes=self.max_upload_bytes())

    def runs_in_background(self, job: J) -> bool:
        """Large files are checked by the worker; small ones within the request."""
        with job.file.open("rb") as fh:
            estimate = self.estimate_households(fh)
        return estimate is None or estimate > self.sync_max_households()

    def run_validation(self, job: J) -> J:
        """Check the stored file and keep the report on the job (within the request or in the
        worker); the check writes nothing."""
        job.status = ImportStatus.VALIDATING
        job.processed_rows = 0
        job.save(update_fields=["status", "processed_rows"])
        try:
            with job.file.open("rb") as fh:
                report = self.check(
                    actor=job.created_by,
                    project=job.project,
                    upload=fh,
                    on_progress=progress_updater(job),
                )
        except Exception:
            logger.exception("Checking the import %s %s failed", job._meta.label, job.pk)
            return mark_failed(job, _("The check failed unexpectedly; nothing was imported."))
        store_report(job, report)
        job.status = ImportStatus.VALIDATED
        job.message = ""
        job.finished_at = timezone.now()
        job.save()
        return job

    def confirm(self, *, actor: Any, job: J) -> bool:
        """Claim a checked import for writing; False when it is not waiting for confirmation
        (already confirmed by a second click, or still being checked)."""
        self.authorise(actor, job.project)
        return claim(job)

    def run_import(self, job: J, *, expected_digest: str) -> J:
        """Write a confirmed import (within the request or in the worker); the import must have
        been claimed. The write checks the file again and writes it, or finds that the check no
        longer matches the confirmed one (``expected_digest``) and writes nothing."""
        job.status = ImportStatus.IMPORTING
        try:
            with job.file.open("rb") as fh:
                outcome = self.write(
                    actor=job.created_by,
                    project=job.project,
                    upload=fh,
                    file_name=job.original_name,
                    sha256=job.sha256,
                    expected_digest=expected_digest,
                    on_progress=progress_updater(job),
                    job=job,
                )
        except DataChanged as exc:
            return mark_failed(
                job,
                _("%(reason)s Nothing was imported; upload the file again to check it anew.")
                % {"reason": exc},
            )
        except Exception:
            logger.exception("The import %s %s failed", job._meta.label, job.pk)
            return mark_failed(job, _("The import failed unexpectedly; nothing was imported."))
        report = outcome.report
        if not outcome.matched:
            store_report(job, report)
            job.status = ImportStatus.VALIDATED
            job.message = _(
                "The project has changed since the file was checked, and different households "
                "would now be imported. Nothing was imported: review the new check and confirm "
                "again."
            )
        else:
            store_report(job, report, imported=outcome.written)
            job.status = ImportStatus.DONE
            job.message = ""
        job.finished_at = timezone.now()
        job.save()
        return job

    def jobs_for_user(self, user: Any, project: Any) -> QuerySet[J]:
        """A user's own imports of the project: the files hold data they brought in."""
        return self.model._default_manager.filter(project=project, created_by_id=user.pk)

    # What the module's background tasks run: the job is loaded again, and its messages are in
    # the language of the user who uploaded or confirmed it.

    def validate_in_worker(self, import_id: int, language: str) -> dict[str, object]:
        with translation.override(language):
            job = self.run_validation(self._job(import_id))
        return {"status": job.status, "errors": job.error_count}

    def import_in_worker(
        self, import_id: int, expected_digest: str, language: str
    ) -> dict[str, object]:
        with translation.override(language):
            job = self.run_import(self._job(import_id), expected_digest=expected_digest)
        return {"status": job.status, "imported": job.summary.get("imported", {})}

    def _job(self, import_id: int) -> J:
        return self.model._default_manager.select_related("project", "created_by").get(pk=import_id)


# --- Reading a workbook --------------------------------------------------------------------


class TooManyRows(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class WorkbookCheck(ABC):
    """What every module's check does around its own rules: it opens the workbook and its
    sheets, reads the rows (counted for the progress bar, at most so many per sheet) and
    collects the faults. A module's check (its Validator) builds on it.
    """

    def __init__(self, *, on_progress: Progress | None = None) -> None:
        self.on_progress = on_progress
        self.problems: list[Problem] = []
        self.rows_read = 0
        self.total_rows = 0

    @abstractmethod
    def run(self, fileobj: IO[bytes]) -> ImportReport:
        """Check the workbook: every fault by sheet, row and column, and what would be kept."""

    def fault(self, spec: SheetSpec, row: int | None, column: str, message: str, code: str) -> None:
        self.problems.append(Problem(spec.title, row, column, message, code))

    def read_workbook(
        self,
        fileobj: IO[bytes],
        specs: Sequence[SheetSpec],
        read: Callable[[dict[str, SheetReader]], None],
    ) -> list[Problem]:
        """Open the workbook and its sheets and ``read`` them; the faults that stop the check
        (a file that is not a readable workbook, a sheet or column missing, too many rows),
        or none when the whole workbook was read."""
        try:
            reader = WorkbookReader(fileobj)
        except UnreadableWorkbook as exc:
            return [Problem("", None, "", str(exc))]
        with reader:
            sheets, structure = reader.open_sheets(specs)
            if structure:
                return structure
            if self.on_progress is not None:
                # Counting the rows costs a tenth of reading them: only for the progress bar.
                self.total_rows = sum(s.estimated_rows() or 0 for s in sheets.values())
            try:
                read(sheets)
            except TooManyRows as exc:
                return [exc.problem]
            except UnreadableWorkbook as exc:
                return [Problem("", None, "", str(exc))]
        if self.on_progress is not None:
            self.on_progress(self.rows_read, self.rows_read)
        return []

    def rows(
        self, sheet: SheetReader, *, limit: int, progress_every: int
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """The rows of a sheet (their numbers and raw values), at most ``limit`` of them; the
        progress is reported every ``progress_every`` rows read."""
        for count, (number, raw) in enumerate(sheet.rows(), start=1):
            if count > limit:
                raise TooManyRows(
                    Problem(
                        sheet.spec.title,
                        number,
                        "",
                        _("The sheet has more than %(max)d rows; split the file.") % {"max": limit},
                    )
                )
            self.rows_read += 1
            if self.on_progress is not None and self.rows_read % progress_every == 0:
                self.on_progress(self.rows_read, max(self.total_rows, self.rows_read))
            yield number, raw


# --- Cells ---------------------------------------------------------------------------------


class CellFault(Exception):
    """A cell's value is not acceptable; the message says why, for the user."""


_DATE_FORMATS: Final = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",  # a date and time turned into text
)


def memoised(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The parser of a column whose few distinct values recur on every row (dictionary labels,
    男/女, work group names): each distinct value is parsed once."""
    outcomes: dict[Any, tuple[bool, Any]] = {}

    def parsed(value: Any) -> Any:
        outcome = outcomes.get(value)
        if outcome is None:
            try:
                outcome = (True, parse(value))
            except CellFault as exc:
                outcome = (False, str(exc))
            # Bounded: a column that turns out to hold free text stops being remembered.
            if len(outcomes) < 10_000:
                outcomes[value] = outcome
        ok, result = outcome
        if not ok:
            raise CellFault(result)
        return result

    return parsed


def clean_code(value: Any) -> str:
    """A key typed in a cell (a household code …): a number Excel made of it is written back
    as the digits the user typed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_text(column: Column, value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        raise CellFault(
            _(
                "Excel has turned this into a date; format the column as text and type "
                "the value again."
            )
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if column.compact:
        text = "".join(unicodedata.normalize("NFKC", text).split())
    if column.max_length is not None and len(text) > column.max_length:
        raise CellFault(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": column.max_length, "count": len(text)}
        )
    return text


def parse_integer(value: Any, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        raise CellFault(_("A whole number is expected."))
    if not low <= number <= high:
        raise CellFault(_("Must be from %(low)d to %(high)d.") % {"low": low, "high": high})
    return number


def parse_date(value: Any) -> dt.date:
    """A date cell, or a date typed as text in one of the usual ways."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise CellFault(_("Not a date: write it as YYYY-MM-DD."))


# --- Bulk writes of checked rows -----------------------------------------------------------


def chunks(values: list[Any], size: int = 5_000) -> Iterator[list[Any]]:
    # SQLite allows 32,766 parameters in a statement: a large file's list is queried in parts.
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _adapters(model_fields: list[Any]) -> list[Callable[[Any], Any] | None]:
    ops = connection.ops
    adapters: list[Callable[[Any], Any] | None] = []
    for f in model_fields:
        if isinstance(f, DecimalField):
            adapters.append(_decimal_adapter(f.max_digits, f.decimal_places))
        elif isinstance(f, DateField):
            # DateTimeField is a DateField too: its values are adapted as such.
            adapters.append(
                ops.adapt_datetimefield_value
                if isinstance(f, models.DateTimeField)
                else ops.adapt_datefield_value
            )
        else:
            adapters.append(None)
    return adapters


def _decimal_adapter(max_digits: int | None, places: int | None) -> Callable[[Any], Any]:
    def adapt(value: Any) -> Any:
        return connection.ops.adapt_decimalfield_value(value, max_digits, places)

    return adapt


def _executemany(sql: str, adapters: list[Any], rows: Iterable[tuple[Any, ...]]) -> int:
    count = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                tuple(
                    value if adapt is None or value is None else adapt(value)
                    for adapt, value in zip(adapters, row, strict=True)
                )
            )
            if len(batch) == BATCH_SIZE:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def bulk_insert(
    model: type[models.Model], fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Write rows of checked values into the model's table; returns how many.

    ``bulk_create`` spends most of a large import compiling SQL value by value (building a
    model instance for each row, preparing each value through its field): three quarters of
    the write. These values are checked already and of their fields' Python types. PostgreSQL
    takes them with COPY, which psycopg feeds and converts in C (executemany took eight times
    as long); SQLite with executemany, dates and decimals through Django's adapters. The model
    constraints still guard the table.
    """
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    columns = [str(getattr(f, "column", f.name)) for f in model_fields]
    table = f"{quote(meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    if connection.vendor == "postgresql":
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    # Names from the model's meta, quoted by the backend; every value is a parameter.
    sql = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(model_fields))})"  # noqa: S608
    return _executemany(sql, _adapters(model_fields), rows)


def bulk_update(
    model: type[models.Model], fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Set these fields of existing rows: each row is (primary key, *values), checked values
    of their fields' Python types; returns how many. One prepared UPDATE executed for many
    rows, where ``bulk_update`` would compile a CASE expression per field and batch."""
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(
        f"{quote(str(getattr(f, 'column', f.name)))} = %s" for f in model_fields
    )
    pk = quote(meta.pk.column) if meta.pk is not None else "id"
    # Names from the model's meta, quoted by the backend; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    adapters = [*_adapters(model_fields), None]
    return _executemany(sql, adapters, ((*row[1:], row[0]) for row in rows))
