"""Factories for tests: related objects stay inside one project."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from zhengqian.accounts.models import Membership, User
from zhengqian.projects.models import District, Milestone, Project, WorkGroup
from zhengqian.projects.procedures import ProjectKind, template_for

PASSWORD = "Zhengqian2026"  # noqa: S105 (the demo and test password, documented in README)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}片区")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"XM2026-{n:03d}")
    name = factory.Sequence(lambda n: f"测试征收项目{n}")
    kind = ProjectKind.STATE_OWNED
    district = factory.SubFactory(DistrictFactory)
    target_households = 120
    target_building_area = Decimal("15000.00")
    target_land_area = Decimal("30.50")

    @factory.post_generation
    def milestones(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            Milestone.objects.bulk_create(
                Milestone(project=obj, code=s.code, order=i, required=s.required)
                for i, s in enumerate(template_for(obj.kind), start=1)
            )


class WorkGroupFactory(DjangoModelFactory):
    class Meta:
        model = WorkGroup

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"第{n}工作组")


def grant(user: User, role: str, project: Project | None = None, work_groups=()) -> Membership:  # type: ignore[no-untyped-def]
    m = Membership.objects.create(user=user, role=role, project=project)
    if work_groups:
        m.work_groups.set(work_groups)
    if hasattr(user, "_zq_perm_state"):
        del user._zq_perm_state
    return m
