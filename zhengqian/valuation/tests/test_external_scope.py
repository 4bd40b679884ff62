"""A valuer is staff of an outside firm: the survey pages show them nothing of projects they are
not assigned to, not even where a duplicated ID number is also held."""

from __future__ import annotations

import pytest

from zhengqian.accounts.permissions import is_external
from zhengqian.ownership.tests.conftest import make_household

pytestmark = pytest.mark.django_db


def test_the_duplicate_flag_names_the_other_project_only_for_office_staff(chosen, login):  # type: ignore[no-untyped-def]
    # The same head (same ID number) is also a household of project B.
    make_household(chosen.world.other_project, code="B-001")
    url = f"/survey/households/{chosen.household.pk}/"
    staff = login(chosen.world.surveyor).get(url).content.decode()
    assert 'data-other="XM-B/B-001"' in staff
    outside = login(chosen.valuer).get(url).content.decode()
    assert 'data-testid="duplicate-flags"' in outside
    assert 'data-other="hidden"' in outside
    assert "XM-B" not in outside and "B-001" not in outside
    report = login(chosen.valuer).get(f"/survey/projects/{chosen.project.pk}/duplicates/")
    assert report.status_code == 200
    assert "XM-B" not in report.content.decode()


def test_who_is_external(chosen):  # type: ignore[no-untyped-def]
    assert is_external(chosen.valuer)
    assert not is_external(chosen.world.surveyor)
    assert not is_external(chosen.world.outsider)  # no role at all: not a firm's staff either
