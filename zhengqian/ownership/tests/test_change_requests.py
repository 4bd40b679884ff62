"""Corrections of locked data: change requests, their approval, and the news downstream."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.core.staleness import upstream_changed
from zhengqian.ownership import services
from zhengqian.ownership.models import (
    ChangeRequest,
    ChangeStatus,
    Confirmation,
    ConfirmationStatus,
)
from zhengqian.ownership.tests.conftest import confirm_all, lock_confirmation
from zhengqian.survey.permissions import require_unlocked
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def locked(own):  # type: ignore[no-untyped-def]
    lock_confirmation(own.officer, own.pm, own.household)
    return own


class Receiver:
    """Connected to upstream_changed for one test; remembers each call and its transaction."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.calls.append({**kwargs, "in_atomic_block": connection.in_atomic_block})


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    upstream_changed.connect(r, weak=False, dispatch_uid="ownership-test-receiver")
    yield r
    upstream_changed.disconnect(dispatch_uid="ownership-test-receiver")


def request_structure_change(own, actor=None, **overrides):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "actor": actor or own.world.surveyor,
        "household": own.household,
        "target_type": "survey.building",
        "target_id": own.big.pk,
        "field": "structure_type",
        "new_value": "steel_concrete",
        "reason": "复核发现为钢混结构",
    }
    values.update(overrides)
    return services.change_request_create(**values)


class TestCreate:
    def test_it_captures_the_old_value(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        assert (cr.old_value, cr.new_value, cr.status) == (
            "brick_concrete",
            "steel_concrete",
            ChangeStatus.PENDING,
        )
        event = Event.objects.get(event_type="changerequest.create")
        assert event.changes == {
            "survey.building.structure_type": ["brick_concrete", "steel_concrete"]
        }

    def test_a_dictionary_label_is_read_as_its_code(self, locked) -> None:  # type: ignore[no-untyped-def]
        assert request_structure_change(locked, new_value="钢混结构").new_value == "steel_concrete"

    def test_an_unknown_code_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, new_value="adobe")
        assert "new_value" in exc.value.message_dict

    def test_only_a_locked_confirmation_takes_change_requests(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        with pytest.raises(ValidationError) as exc:
            request_structure_change(own)
        assert exc.value.code == "not_locked"

    def test_a_field_outside_the_list_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, field="number", new_value="9")
        assert "field" in exc.value.message_dict

    def test_a_record_of_another_household_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        from zhengqian.ownership.tests.conftest import make_household

        other = make_household(locked.world.project, code="H-009", work_group=locked.world.group)
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, target_id=other.buildings.first().pk)
        assert "target_id" in exc.value.message_dict

    def test_a_reason_is_required(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, reason="")
        assert "reason" in exc.value.message_dict

    def test_the_same_value_is_no_change(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, new_value="brick_concrete")
        assert exc.value.error_dict["new_value"][0].code == "unchanged"

    @pytest.mark.parametrize(
        ("field", "value"),
        [("floors", "0"), ("floors", "two"), ("year_built", "1700"), ("measured_area", "-1")],
    )
    def test_new_values_are_checked_by_type_and_range(self, locked, field, value) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, field=field, new_value=value)
        assert exc.value.message_dict

    def test_a_second_pending_request_for_the_same_field_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        request_structure_change(locked)
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, new_value="brick_wood")
        assert exc.value.code == "duplicate"

    def test_a_surveyor_may_not_request_a_change_of_confirmation_data(self, locked) -> None:  # type: ignore[no-untyped-def]
        bc = locked.big.confirmation
        with pytest.raises(AccessDenied):
            services.change_request_create(
                actor=locked.world.surveyor,
                household=locked.household,
                target_type="ownership.buildingconfirmation",
                target_id=bc.pk,
                field="basis",
                new_value="新依据",
                reason="补正",
            )

    def test_an_officer_may_not_request_a_change_of_survey_data(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            request_structure_change(locked, actor=locked.officer)

    def test_an_officer_of_another_project_may_not_request(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.change_request_create(
                actor=locked.other_officer,
                household=locked.household,
                target_type="ownership.personconfirmation",
                target_id=locked.head.confirmation.pk,
                field="reason",
                new_value="soldier",
                reason="x",
            )

    def test_an_officer_of_another_work_group_may_not_request(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.change_request_create(
                actor=locked.group_officer,
                household=locked.household,
                target_type="ownership.buildingconfirmation",
                target_id=locked.big.confirmation.pk,
                field="basis",
                new_value="新依据",
                reason="补正",
            )

    def test_a_re_measured_area_needs_the_new_split(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, field="measured_area", new_value="100.00")
        errors = exc.value.message_dict
        assert "paired_licensed_area" in errors
        assert "100.00" in " ".join(errors["paired_licensed_area"])

    def test_evidence_is_checked_by_its_first_bytes(self, locked) -> None:  # type: ignore[no-untyped-def]
        fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, evidence=fake)
        assert "evidence" in exc.value.message_dict
        assert not ChangeRequest.objects.exists()

    def test_evidence_larger_than_20_mb_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (20 * 1024 * 1024), "application/pdf")
        with pytest.raises(ValidationError) as exc:
            request_structure_change(locked, evidence=big)
        assert exc.value.error_dict["evidence"][0].code == "evidence_size"

    def test_evidence_is_stored_under_a_name_of_its_own(self, locked, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path)},
            },
        }
        upload = SimpleUploadedFile("../../etc/复测报告.png", PNG, "image/png")
        cr = request_structure_change(locked, evidence=upload)
        assert cr.evidence.name.startswith("ownership/changes/")
        assert cr.evidence.name.endswith(".png")
        assert "复测" not in cr.evidence.name and ".." not in cr.evidence.name


class TestDecide:
    def test_approval_applies_the_change_with_old_and_new_in_the_trail(
        self, locked, receiver
    ) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        services.change_request_decide(
            actor=locked.pm, change_request=cr, approve=True, note="同意"
        )
        locked.big.refresh_from_db()
        cr.refresh_from_db()
        assert locked.big.structure_type == "steel_concrete"
        assert (cr.status, cr.decided_by, cr.decision_note) == (
            ChangeStatus.APPROVED,
            locked.pm,
            "同意",
        )
        event = Event.objects.get(event_type="building.change_request")
        assert event.changes == {"structure_type": ["brick_concrete", "steel_concrete"]}
        assert event.details["change_request"] == cr.pk
        assert Event.objects.filter(event_type="changerequest.approve").count() == 1

    def test_approval_tells_downstream_once_inside_the_transaction(self, locked, receiver) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        assert len(receiver.calls) == 1
        call = receiver.calls[0]
        assert call["household"] == locked.household
        assert call["source"] == "survey.building"
        assert call["source_id"] == locked.big.pk
        assert call["changes"] == {"structure_type": ["brick_concrete", "steel_concrete"]}
        assert call["actor"] == locked.pm
        assert call["in_atomic_block"] is True

    def test_a_failing_receiver_undoes_the_change(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)

        def broken(sender: Any, **kwargs: Any) -> None:
            raise RuntimeError("downstream could not mark its records")

        upstream_changed.connect(broken, weak=False, dispatch_uid="broken")
        try:
            with pytest.raises(RuntimeError):
                services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        finally:
            upstream_changed.disconnect(dispatch_uid="broken")
        locked.big.refresh_from_db()
        cr.refresh_from_db()
        assert locked.big.structure_type == "brick_concrete"
        assert cr.status == ChangeStatus.PENDING

    def test_rejection_changes_nothing_and_tells_nobody(self, locked, receiver) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        services.change_request_decide(
            actor=locked.pm, change_request=cr, approve=False, note="复核仍为砖混"
        )
        locked.big.refresh_from_db()
        cr.refresh_from_db()
        assert locked.big.structure_type == "brick_concrete"
        assert cr.status == ChangeStatus.REJECTED
        assert receiver.calls == []
        assert not Event.objects.filter(event_type="building.change_request").exists()

    def test_a_rejection_needs_a_note(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        with pytest.raises(ValidationError) as exc:
            services.change_request_decide(actor=locked.pm, change_request=cr, approve=False)
        assert "note" in exc.value.message_dict

    def test_a_value_changed_since_the_request_is_refused(self, locked, receiver) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        # Changed behind the request's back (another approved request, a data fix).
        type(locked.big).objects.filter(pk=locked.big.pk).update(structure_type="brick_wood")
        with pytest.raises(ValidationError) as exc:
            services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        assert exc.value.code == "stale"
        assert "提出申请后数据已发生变化" in exc.value.messages[0]
        locked.big.refresh_from_db()
        assert locked.big.structure_type == "brick_wood"
        assert ChangeRequest.objects.get().status == ChangeStatus.PENDING
        assert receiver.calls == []

    def test_the_requester_cannot_decide_their_own_request(self, locked) -> None:  # type: ignore[no-untyped-def]
        both = UserFactory(username="both")
        grant(both, RoleCode.SURVEYOR, locked.world.project)
        grant(both, RoleCode.PROJECT_MANAGER, locked.world.project)
        cr = request_structure_change(locked, actor=both)
        with pytest.raises(AccessDenied):
            services.change_request_decide(actor=both, change_request=cr, approve=True)
        assert ChangeRequest.objects.get().status == ChangeStatus.PENDING

    def test_an_officer_cannot_decide(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        with pytest.raises(AccessDenied):
            services.change_request_decide(actor=locked.officer, change_request=cr, approve=True)

    def test_the_manager_of_another_project_cannot_decide(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        with pytest.raises(AccessDenied):
            services.change_request_decide(
                actor=locked.world.other_pm, change_request=cr, approve=True
            )

    def test_a_decided_request_cannot_be_decided_again(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        with pytest.raises(ValidationError) as exc:
            services.change_request_decide(
                actor=locked.pm, change_request=cr, approve=False, note="撤回"
            )
        assert exc.value.code == "decided"

    def test_the_confirmation_stays_locked(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(locked)
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        assert (
            Confirmation.objects.get(household=locked.household).status == ConfirmationStatus.LOCKED
        )
        with pytest.raises(ValidationError):
            require_unlocked(locked.household)


class TestReMeasuredArea:
    """A re-measured building carries its new licensed/unlicensed split in the same request,
    so that the locked confirmation stays consistent: both apply together or not at all."""

    def request(self, locked, **paired):  # type: ignore[no-untyped-def]
        return request_structure_change(
            locked,
            field="measured_area",
            new_value="100.00",
            reason="复测面积为100.00㎡",
            paired=paired,
        )

    def test_both_apply_together_and_both_are_announced(self, locked, receiver) -> None:  # type: ignore[no-untyped-def]
        cr = self.request(locked, licensed_area="80.00", unlicensed_area="20.00")
        assert cr.paired_changes == {"unlicensed_area": ["16.00", "20.00"]}
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        locked.big.refresh_from_db()
        bc = locked.big.confirmation
        bc.refresh_from_db()
        assert locked.big.measured_area == Decimal("100.00")
        assert (bc.licensed_area, bc.unlicensed_area) == (Decimal("80.00"), Decimal("20.00"))
        assert [(c["source"], c["changes"]) for c in receiver.calls] == [
            ("survey.building", {"measured_area": ["96.00", "100.00"]}),
            ("ownership.buildingconfirmation", {"unlicensed_area": ["16.00", "20.00"]}),
        ]
        trail = Event.objects.filter(event_type__endswith=".change_request").order_by("seq")
        assert [e.changes for e in trail] == [
            {"measured_area": ["96.00", "100.00"]},
            {"unlicensed_area": ["16.00", "20.00"]},
        ]

    def test_a_split_that_does_not_add_up_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            self.request(locked, licensed_area="80.00", unlicensed_area="19.00")
        assert "99.00" in " ".join(exc.value.message_dict["paired_licensed_area"])

    def test_when_nothing_stays_unlicensed_the_treatment_is_cleared(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(
            locked,
            field="measured_area",
            new_value="80.00",
            reason="违建部分已自行拆除，复测80㎡",
            paired={"unlicensed_area": "0"},
        )
        assert cr.paired_changes == {
            "unlicensed_area": ["16.00", "0.00"],
            "unlicensed_treatment": ["recognised", ""],
        }
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        bc = locked.big.confirmation
        bc.refresh_from_db()
        assert (bc.unlicensed_area, bc.unlicensed_treatment) == (Decimal("0.00"), "")

    def test_a_split_changed_since_the_request_refuses_the_whole(self, locked) -> None:  # type: ignore[no-untyped-def]
        cr = self.request(locked, licensed_area="80.00", unlicensed_area="20.00")
        bc = locked.big.confirmation
        type(bc).objects.filter(pk=bc.pk).update(licensed_area="70.00", unlicensed_area="26.00")
        with pytest.raises(ValidationError):
            services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        locked.big.refresh_from_db()
        assert locked.big.measured_area == Decimal("96.00")

    def test_the_licensed_area_alone_cannot_break_the_split(self, locked) -> None:  # type: ignore[no-untyped-def]
        bc = locked.big.confirmation
        with pytest.raises(ValidationError) as exc:
            services.change_request_create(
                actor=locked.officer,
                household=locked.household,
                target_type="ownership.buildingconfirmation",
                target_id=bc.pk,
                field="licensed_area",
                new_value="90.00",
                reason="补办证件",
            )
        assert "new_value" in exc.value.message_dict
        cr = services.change_request_create(
            actor=locked.officer,
            household=locked.household,
            target_type="ownership.buildingconfirmation",
            target_id=bc.pk,
            field="licensed_area",
            new_value="90.00",
            reason="补办证件",
            paired={"unlicensed_area": "6.00"},
        )
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        bc.refresh_from_db()
        assert (bc.licensed_area, bc.unlicensed_area) == (Decimal("90.00"), Decimal("6.00"))


class TestPersonChanges:
    def test_eligibility_changes_with_its_reason(self, locked, receiver) -> None:  # type: ignore[no-untyped-def]
        pc = locked.spouse.confirmation
        base = {
            "actor": locked.officer,
            "household": locked.household,
            "target_type": "ownership.personconfirmation",
            "target_id": pc.pk,
            "field": "eligible",
            "new_value": "否",
            "reason": "公告日前户籍已迁出",
        }
        with pytest.raises(ValidationError) as exc:
            services.change_request_create(**base)
        assert "paired_reason" in exc.value.message_dict
        cr = services.change_request_create(**base, paired={"reason": "not_eligible"})
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        pc.refresh_from_db()
        assert (pc.eligible, pc.reason) == (False, "not_eligible")
        assert receiver.calls[0]["changes"] == {
            "eligible": [True, False],
            "reason": ["registered", "not_eligible"],
        }

    def test_a_wrong_id_number_is_refused(self, locked) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            request_structure_change(
                locked,
                target_type="survey.person",
                target_id=locked.head.pk,
                field="id_number",
                new_value="330282197003080000",
            )
        assert "new_value" in exc.value.message_dict

    def test_a_surveyor_corrects_a_name(self, locked, receiver) -> None:  # type: ignore[no-untyped-def]
        cr = request_structure_change(
            locked,
            target_type="survey.person",
            target_id=locked.spouse.pk,
            field="name",
            new_value="李秀瑛",
            reason="户口簿为“瑛”",
        )
        services.change_request_decide(actor=locked.pm, change_request=cr, approve=True)
        locked.spouse.refresh_from_db()
        assert locked.spouse.name == "李秀瑛"
        assert receiver.calls[0]["source"] == "survey.person"
