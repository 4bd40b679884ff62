"""The administrator's work: users, roles in projects, disabling, the matrix."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts import services
from zhengqian.accounts.decorators import SUDO_SESSION_KEY
from zhengqian.accounts.models import Membership, RolePermission, User
from zhengqian.accounts.permissions import AccessDenied, has_perm
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.models import Event


@pytest.mark.django_db
class TestUserServices:
    def test_the_administrator_creates_a_user_without_the_password_in_the_trail(self, world):  # type: ignore[no-untyped-def]
        user = services.user_create(
            actor=world.admin, username="zhangsan", password="Chaiqian2026x", full_name="张三"
        )
        assert user.check_password("Chaiqian2026x")
        event = Event.objects.get(event_type="user.create")
        assert event.changes["username"] == [None, "zhangsan"]
        assert "Chaiqian2026x" not in str(event.changes) + str(event.details)

    def test_a_weak_password_is_refused_and_no_user_is_made(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.user_create(actor=world.admin, username="lisi", password="123")
        assert not User.objects.filter(username="lisi").exists()

    def test_a_project_manager_cannot_create_users(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.user_create(actor=world.pm, username="wangwu", password="Chaiqian2026x")

    def test_granting_a_role_in_a_project_with_work_groups(self, world):  # type: ignore[no-untyped-def]
        user = services.user_create(actor=world.admin, username="zhao", password="Chaiqian2026x")
        services.membership_grant(
            actor=world.admin,
            user=user,
            role=RoleCode.SURVEYOR,
            project=world.project,
            work_groups=[world.group],
        )
        assert has_perm(
            user, Module.SURVEY, Action.CHANGE, project=world.project, work_group=world.group
        )
        assert not has_perm(
            user, Module.SURVEY, Action.CHANGE, project=world.project, work_group=world.other_group
        )
        event = Event.objects.get(event_type="membership.grant")
        assert event.changes["work_groups"] == [None, [world.group.pk]]

    def test_a_project_role_needs_a_project(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.membership_grant(
                actor=world.admin, user=world.outsider, role=RoleCode.SURVEYOR, project=None
            )
        assert "project" in exc.value.error_dict

    def test_work_groups_of_another_project_are_refused(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.membership_grant(
                actor=world.admin,
                user=world.outsider,
                role=RoleCode.SURVEYOR,
                project=world.other_project,
                work_groups=[world.group],
            )
        assert "work_groups" in exc.value.error_dict

    def test_the_administrator_role_is_not_held_in_a_project(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.membership_grant(
                actor=world.admin, user=world.outsider, role=RoleCode.ADMIN, project=world.project
            )

    def test_the_last_administrator_cannot_be_removed(self, world):  # type: ignore[no-untyped-def]
        membership = Membership.objects.get(user=world.admin, role=RoleCode.ADMIN)
        with pytest.raises(ValidationError):
            services.membership_revoke(actor=world.admin, membership=membership)

    def test_revoking_a_role_takes_the_project_away(self, world):  # type: ignore[no-untyped-def]
        membership = Membership.objects.get(user=world.surveyor)
        services.membership_revoke(actor=world.admin, membership=membership)
        assert not has_perm(world.surveyor, Module.PROJECTS, Action.VIEW, project=world.project)
        assert Event.objects.get(event_type="membership.revoke").changes["role"] == [
            "surveyor",
            None,
        ]

    def test_disabling_and_enabling_a_user(self, world):  # type: ignore[no-untyped-def]
        services.user_set_active(actor=world.admin, user=world.pm, active=False)
        world.pm.refresh_from_db()
        assert not world.pm.is_active
        services.user_set_active(
            actor=world.admin, user=world.pm, active=False
        )  # no change, no event
        assert Event.objects.filter(event_type="user.disable").count() == 1
        services.user_set_active(actor=world.admin, user=world.pm, active=True)
        assert Event.objects.filter(event_type="user.enable").count() == 1

    def test_the_administrator_cannot_disable_themselves(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.user_set_active(actor=world.admin, user=world.admin, active=False)

    def test_a_matrix_cell_is_turned_off_and_on_with_events(self, world):  # type: ignore[no-untyped-def]
        assert has_perm(world.surveyor, Module.SURVEY, Action.DELETE, project=world.project)
        assert services.role_permission_set(
            actor=world.admin, role="surveyor", module="survey", action="delete", allowed=False
        )
        world.surveyor.__dict__.pop("_zq_perm_state", None)
        assert not has_perm(world.surveyor, Module.SURVEY, Action.DELETE, project=world.project)
        assert Event.objects.filter(
            event_type="permission.revoke", target_id="surveyor:survey:delete"
        ).exists()
        assert not services.role_permission_set(
            actor=world.admin, role="surveyor", module="survey", action="delete", allowed=False
        )

    def test_the_supervisor_can_never_be_given_a_write(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.role_permission_set(
                actor=world.admin, role="supervisor", module="survey", action="change", allowed=True
            )
        assert not RolePermission.objects.filter(role="supervisor", action="change").exists()

    def test_the_administrator_can_never_be_given_business_data(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.role_permission_set(
                actor=world.admin, role="admin", module="payments", action="view", allowed=True
            )


@pytest.mark.django_db
class TestUserViews:
    def test_the_administrator_lists_and_searches_users(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        body = c.get("/accounts/users/?q=surveyor").content.decode()
        assert "other_surveyor" in body and ">pm<" not in body
        partial = c.get("/accounts/users/?q=pm", HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in partial and "other_pm" in partial

    def test_other_roles_are_refused_the_user_pages(self, world, login):  # type: ignore[no-untyped-def]
        for user in (world.pm, world.supervisor, world.outsider):
            c = login(user)
            assert c.get("/accounts/users/").status_code == 403
            assert c.get(f"/accounts/users/{world.pm.pk}/").status_code == 403

    def test_creating_a_user_through_the_form(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        r = c.post(
            "/accounts/users/new/",
            {"username": "qian", "full_name": "钱七", "password": "Chaiqian2026x"},
        )
        user = User.objects.get(username="qian")
        assert r.status_code == 302 and r.url == f"/accounts/users/{user.pk}/"

    def test_a_taken_login_name_and_a_weak_password_show_at_their_fields(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        r = c.post(
            "/accounts/users/new/",
            {"username": "PM", "full_name": "重名", "password": "Chaiqian2026x"},
        )
        assert 'data-field-error="username"' in r.content.decode()
        r = c.post(
            "/accounts/users/new/", {"username": "sun", "full_name": "孙八", "password": "abc"}
        )
        assert 'data-field-error="password"' in r.content.decode()
        assert not User.objects.filter(username="sun").exists()

    def test_granting_and_revoking_a_role_through_the_page(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        r = c.post(
            f"/accounts/users/{world.outsider.pk}/memberships/",
            {"role": "viewer", "project": world.project.pk},
        )
        assert r.status_code == 302
        m = Membership.objects.get(user=world.outsider)
        r = c.post(f"/accounts/users/{world.outsider.pk}/memberships/{m.pk}/revoke/")
        assert r.status_code == 302 and not Membership.objects.filter(user=world.outsider).exists()

    def test_a_membership_of_another_user_answers_404(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        m = Membership.objects.get(user=world.pm)
        assert (
            c.post(f"/accounts/users/{world.outsider.pk}/memberships/{m.pk}/revoke/").status_code
            == 404
        )

    def test_the_matrix_page_and_toggle_with_password_confirmation(self, world, login):  # type: ignore[no-untyped-def]
        c = login(world.admin)
        assert c.get("/accounts/roles/").status_code == 200
        data = {"role": "viewer", "module": "survey", "action": "view", "allowed": "on"}
        r = c.post("/accounts/roles/set/", data)
        assert r.url.startswith("/accounts/confirm-password/")
        session = c.session
        import time

        session[SUDO_SESSION_KEY] = time.time()
        session.save()
        assert c.post("/accounts/roles/set/", data).status_code == 302
        assert RolePermission.objects.filter(role="viewer", module="survey", action="view").exists()
