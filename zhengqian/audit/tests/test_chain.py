from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, transaction

from zhengqian.audit.chain import verify_chain
from zhengqian.audit.models import ChainHead, Event, EventKind
from zhengqian.audit.services import record
from zhengqian.audit.tests.tampering import raw
from zhengqian.projects import services as project_services


def write_events(actor, n=5):  # type: ignore[no-untyped-def]
    for i in range(n):
        with transaction.atomic():
            record(actor=actor, event_type="test.write", details={"i": i})


@pytest.mark.django_db
class TestRecording:
    def test_it_chains_each_event_to_the_previous_one(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 3)
        events = list(Event.objects.order_by("seq"))
        assert [e.seq for e in events] == [1, 2, 3]
        assert events[0].prev_hash == ""
        assert events[1].prev_hash == events[0].hash
        assert events[2].prev_hash == events[1].hash
        assert ChainHead.objects.get().last_hash == events[2].hash

    def test_a_rolled_back_change_leaves_no_event(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(RuntimeError), transaction.atomic():
            project_services.work_group_update(actor=world.pm, group=world.group, name="改名组")
            raise RuntimeError("the change fails after its event was written")
        world.group.refresh_from_db()
        assert world.group.name == "第一工作组"
        assert not Event.objects.filter(event_type="work_group.update").exists()
        assert verify_chain().ok

    @pytest.mark.django_db(transaction=True)
    def test_a_write_event_outside_a_transaction_is_refused(self, world):  # type: ignore[no-untyped-def]
        # Only a transactional test runs outside the test's own atomic block.
        with pytest.raises(RuntimeError, match="inside its transaction"):
            record(actor=world.pm, event_type="test.write")

    def test_it_records_old_and_new_values(self, world):  # type: ignore[no-untyped-def]
        project_services.work_group_update(actor=world.pm, group=world.group, name="改名组")
        event = Event.objects.get(event_type="work_group.update")
        assert event.changes == {"name": ["第一工作组", "改名组"]}
        assert event.actor_id == world.pm.pk and event.actor_name == "pm"
        assert event.project_id == world.project.pk
        assert event.target_type == "projects.workgroup" and event.target_id == str(world.group.pk)

    def test_an_event_cannot_be_saved_again_or_deleted_through_the_model(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 1)
        event = Event.objects.get()
        event.event_type = "forged"
        with pytest.raises(RuntimeError):
            event.save()
        with pytest.raises(RuntimeError):
            event.delete()

    def test_the_database_itself_refuses_update_and_delete(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 1)
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            Event.objects.update(event_type="forged")
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            Event.objects.all()._raw_delete(Event.objects.db)
        assert Event.objects.get().event_type == "test.write"


@pytest.mark.django_db
class TestVerification:
    def test_an_untouched_chain_is_intact(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 5)
        report = verify_chain()
        assert report.ok and report.checked == 5

    def test_it_names_an_altered_event(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 5)
        raw("UPDATE audit_event SET actor_name = %s WHERE seq = %s", ["someone-else", 3])
        report = verify_chain()
        assert not report.ok
        assert report.first_bad_seq == 3
        assert "篡改" in report.problem

    def test_it_names_an_altered_change_value(self, world):  # type: ignore[no-untyped-def]
        project_services.work_group_update(actor=world.pm, group=world.group, name="改名组")
        seq = Event.objects.get(event_type="work_group.update").seq
        raw(
            "UPDATE audit_event SET changes = %s WHERE seq = %s",
            [json.dumps({"name": ["第一工作组", "别的组"]}), seq],
        )
        assert verify_chain().first_bad_seq == seq

    def test_it_names_a_deleted_event(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 5)
        raw("DELETE FROM audit_event WHERE seq = %s", [2])
        report = verify_chain()
        assert not report.ok and report.first_bad_seq == 2
        assert "缺失" in report.problem

    def test_it_notices_the_last_event_deleted(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 5)
        raw("DELETE FROM audit_event WHERE seq = %s", [5])
        report = verify_chain()
        assert not report.ok and report.first_bad_seq == 5

    def test_it_names_an_event_inserted_out_of_turn(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 4)
        # Shift the last two events up and slip a forged one in between, with a valid own hash.
        third = Event.objects.get(seq=3)
        raw("UPDATE audit_event SET seq = seq + 10 WHERE seq >= %s", [3])
        raw("UPDATE audit_event SET seq = seq - 9 WHERE seq >= %s", [13])
        forged = Event(
            seq=3,
            created_at=third.created_at,
            actor_name="forger",
            kind=EventKind.WRITE,
            event_type="test.forged",
            prev_hash="0" * 64,
        )
        forged.hash = forged.compute_hash()
        forged.save(force_insert=True)
        report = verify_chain()
        assert not report.ok and report.first_bad_seq == 3
        assert "违规插入" in report.problem

    def test_the_command_succeeds_on_an_intact_chain(self, world, capsys):  # type: ignore[no-untyped-def]
        write_events(world.pm, 3)
        call_command("verify_audit")
        assert "intact" in capsys.readouterr().out

    def test_the_command_fails_and_names_the_first_bad_event(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 4)
        raw("UPDATE audit_event SET details = %s WHERE seq = %s", [json.dumps({"i": 99}), 2])
        with pytest.raises(CommandError, match="#2"):
            call_command("verify_audit")

    def test_the_command_exits_non_zero(self, world):  # type: ignore[no-untyped-def]
        write_events(world.pm, 2)
        raw("DELETE FROM audit_event WHERE seq = %s", [1])
        with pytest.raises(SystemExit) as exc:
            _run_as_cli()
        assert exc.value.code != 0


def _run_as_cli() -> None:
    from django.core.management import ManagementUtility

    ManagementUtility(["manage.py", "verify_audit"]).execute()
