"""Dictionaries and the holiday calendar, as the administrator keeps them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.core import services
from zhengqian.core.calendar import office_calendar
from zhengqian.core.models import CalendarDay, CalendarYear, DictionaryEntry
from zhengqian.core.selectors import dictionary_choices
from zhengqian.core.workdays import UnknownCalendarYear


@pytest.mark.django_db
class TestDictionaries:
    def test_the_starting_dictionaries_are_loaded(self) -> None:
        codes = [c for c, _label in dictionary_choices("structure_type")]
        assert codes == ["steel_concrete", "brick_concrete", "brick_wood", "simple"]

    def test_the_administrator_adds_an_entry(self, world):  # type: ignore[no-untyped-def]
        services.dictionary_entry_create(
            actor=world.admin, kind="structure_type", code="steel", label_zh="钢结构"
        )
        assert "steel" in dict(dictionary_choices("structure_type"))
        assert Event.objects.filter(event_type="dictionary.create").exists()

    def test_a_duplicate_code_is_refused(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.dictionary_entry_create(
                actor=world.admin, kind="relation", code="spouse", label_zh="配偶"
            )

    def test_a_deactivated_entry_leaves_the_choices_but_stays(self, world):  # type: ignore[no-untyped-def]
        entry = DictionaryEntry.objects.get(kind="relation", code="sibling")
        services.dictionary_entry_update(actor=world.admin, entry=entry, active=False)
        assert "sibling" not in dict(dictionary_choices("relation"))
        assert DictionaryEntry.objects.filter(code="sibling").exists()
        assert Event.objects.get(event_type="dictionary.update").changes == {
            "active": [True, False]
        }

    def test_only_the_administrator_edits_dictionaries(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.dictionary_entry_create(
                actor=world.pm, kind="relation", code="x", label_zh="x"
            )

    def test_the_pages(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        assert c.get("/admin/dictionaries/").status_code == 200
        r = c.post(
            "/admin/dictionaries/relation/",
            {"code": "cousin", "label_zh": "堂兄弟", "sort_order": "9"},
        )
        assert r.status_code == 302
        r = c.post(
            "/admin/dictionaries/relation/",
            {"code": "bad code!", "label_zh": "", "sort_order": "-1"},
        )
        assert r.status_code == 400
        body = r.content.decode()
        for field in ("code", "label_zh", "sort_order"):
            assert f'data-field-error="{field}"' in body
        assert c.get("/admin/dictionaries/no_such_kind/").status_code == 404
        assert login(world.pm).get("/admin/dictionaries/").status_code == 403


@pytest.mark.django_db
class TestCalendar:
    def test_the_2025_and_2026_calendars_are_loaded(self) -> None:
        cal = office_calendar()
        assert not cal.is_working_day(dt.date(2025, 10, 1))
        assert cal.is_working_day(dt.date(2025, 9, 28))  # a Sunday worked in exchange
        with pytest.raises(UnknownCalendarYear):
            cal.is_working_day(dt.date(2027, 1, 4))

    def test_a_new_year_is_loaded_from_a_file(self, world):  # type: ignore[no-untyped-def]
        n = services.calendar_import(
            actor=world.admin,
            csv_text="date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节调休上班\n",
            source="国办发明电〔2026〕x号",
        )
        assert n == 2
        assert CalendarYear.objects.filter(year=2027).exists()
        assert not office_calendar().is_working_day(dt.date(2027, 1, 1))

    def test_a_faulty_file_loads_nothing_and_names_each_row(self, world):  # type: ignore[no-untyped-def]
        before = CalendarDay.objects.count()
        with pytest.raises(ValidationError) as exc:
            services.calendar_import(
                actor=world.admin,
                csv_text="date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n"
                "2027-01-05,workday,周二\n2027-01-02,party,x\n",
            )
        messages = exc.value.messages
        assert any("第 3 行" in m for m in messages)
        assert any("第 4 行" in m and "不是周末" in m for m in messages)
        assert any("第 5 行" in m for m in messages)
        assert CalendarDay.objects.count() == before
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_the_upload_page(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        upload = SimpleUploadedFile("h.csv", "date,kind,name\n2027-01-01,holiday,元旦\n".encode())
        r = c.post("/admin/calendar/", {"file": upload, "source": "通知"})
        assert r.status_code == 302
        bad = SimpleUploadedFile("h.csv", b"date,kind,name\nnot-a-date,holiday,x\n")
        r = c.post("/admin/calendar/", {"file": bad})
        assert r.status_code == 400 and 'data-field-error="file"' in r.content.decode()
