from __future__ import annotations

import pytest

from zhengqian.core.models import CalendarDay


@pytest.mark.django_db
class TestLanguage:
    def test_the_interface_is_chinese_even_for_an_english_browser(self, client, world):  # type: ignore[no-untyped-def]
        body = client.get(
            "/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
        ).content.decode()
        assert "登录" in body and 'lang="zh-hans"' in body

    def test_the_switch_turns_it_to_english_and_back(self, client, world):  # type: ignore[no-untyped-def]
        r = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
        assert r.status_code == 302
        body = client.get("/accounts/login/").content.decode()
        assert "Log in" in body and 'lang="en"' in body
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
        assert "登录" in client.get("/accounts/login/").content.decode()

    def test_an_unknown_language_cookie_falls_back_to_chinese(self, client, world):  # type: ignore[no-untyped-def]
        client.cookies["django_language"] = "fr"
        assert 'lang="zh-hans"' in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
class TestNavigation:
    def test_the_navigation_shows_only_the_modules_of_the_users_roles(self, world, login):  # type: ignore[no-untyped-def]
        pm_nav = login(world.pm).get("/").content.decode()
        assert 'data-module="projects"' in pm_nav
        assert 'data-module="audit"' not in pm_nav and 'data-module="accounts"' not in pm_nav
        admin_nav = login(world.admin).get("/").content.decode()
        assert 'data-module="accounts"' in admin_nav and 'data-module="dictionaries"' in admin_nav
        assert 'data-module="projects"' not in admin_nav
        sup_nav = login(world.supervisor).get("/").content.decode()
        assert 'data-module="audit"' in sup_nav and 'data-module="accounts"' not in sup_nav

    def test_the_home_page_lists_the_users_projects(self, world, login):  # type: ignore[no-untyped-def]
        body = login(world.surveyor).get("/").content.decode()
        assert "甲项目" in body and "乙项目" not in body

    def test_a_user_without_roles_is_told_so(self, world, login):  # type: ignore[no-untyped-def]
        body = login(world.outsider).get("/").content.decode()
        assert "管理员" in body  # "ask the administrator for a role"
        assert 'data-testid="project-list"' not in body


@pytest.mark.django_db
class TestReferenceDataViews:
    def test_wrong_methods_are_refused(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        day = CalendarDay.objects.first()
        assert c.get(f"/admin/calendar/{day.pk}/remove/").status_code == 405
        assert c.delete("/admin/dictionaries/").status_code == 405

    def test_removing_a_calendar_day(self, world, login):  # type: ignore[no-untyped-def]
        day = CalendarDay.objects.first()
        assert login(world.pm).post(f"/admin/calendar/{day.pk}/remove/").status_code == 403
        assert login(world.admin).post(f"/admin/calendar/{day.pk}/remove/").status_code == 302
        assert not CalendarDay.objects.filter(pk=day.pk).exists()
        assert login(world.admin).post("/admin/calendar/999999/remove/").status_code == 404

    def test_editing_an_entry(self, world, login):  # type: ignore[no-untyped-def]
        from zhengqian.core.models import DictionaryEntry

        entry = DictionaryEntry.objects.get(kind="relation", code="spouse")
        c = login(world.admin)
        assert c.get(f"/admin/dictionary-entries/{entry.pk}/").status_code == 200
        r = c.post(
            f"/admin/dictionary-entries/{entry.pk}/",
            {"label_zh": "配偶", "label_en": "Spouse", "sort_order": "2", "active": ""},
        )
        assert r.status_code == 302
        entry.refresh_from_db()
        assert entry.active is False
        assert login(world.pm).get(f"/admin/dictionary-entries/{entry.pk}/").status_code == 403
