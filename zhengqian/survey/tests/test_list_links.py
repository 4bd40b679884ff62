"""The household list leads a surveyor to the Excel import and export."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_a_surveyor_finds_import_and_export_on_the_household_list(world, login):  # type: ignore[no-untyped-def]
    body = login(world.surveyor).get(f"/survey/projects/{world.project.pk}/households/").content
    text = body.decode()
    assert f'href="/survey/projects/{world.project.pk}/import/"' in text
    assert f'href="/survey/projects/{world.project.pk}/export.xlsx"' in text
    assert "从 Excel 导入" in text


@pytest.mark.django_db
def test_an_accountant_sees_the_list_without_them(world, login):  # type: ignore[no-untyped-def]
    text = login(world.accountant).get(f"/survey/projects/{world.project.pk}/households/").content
    assert b'data-testid="import-link"' not in text and b'data-testid="export-link"' not in text
