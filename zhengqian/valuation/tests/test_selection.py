"""Choosing the project's appraisal firm: negotiation, majority vote, random draw."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.models import Membership
from zhengqian.accounts.permissions import AccessDenied, has_perm
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.models import Event
from zhengqian.core import draws
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.valuation import services
from zhengqian.valuation.models import SelectionStatus

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 5)


def test_negotiation_records_the_firm_and_gives_its_valuers_the_project(val):  # type: ignore[no-untyped-def]
    selection = services.selection_negotiate(
        actor=val.pm, project=val.project, firm=val.firm, decided_on=DAY, record_text="协商一致"
    )
    assert selection.status == SelectionStatus.DECIDED and selection.firm == val.firm
    assert services.chosen_firm(val.project) == val.firm
    assert Membership.objects.filter(
        user=val.valuer, project=val.project, role=RoleCode.VALUER
    ).exists()
    assert has_perm(val.valuer, Module.VALUATION, Action.CHANGE, project=val.project)
    # The other firm's valuer got nothing.
    assert not has_perm(val.other_valuer, Module.VALUATION, Action.VIEW, project=val.project)
    assert Event.objects.filter(event_type="valuation.selection.negotiated").count() == 1
    with pytest.raises(ValidationError, match="评估机构已选定"):
        services.selection_negotiate(
            actor=val.pm, project=val.project, firm=val.other_firm, decided_on=DAY, record_text="x"
        )


def test_an_expired_qualification_cannot_be_chosen_in_any_way(val):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.selection_negotiate(
            actor=val.pm, project=val.project, firm=val.expired, decided_on=DAY, record_text="x"
        )
    assert "2025-06-30" in str(exc.value.message_dict["firm"])
    for start in (services.selection_vote_open, services.selection_draw_prepare):
        with pytest.raises(ValidationError) as exc:
            start(actor=val.pm, project=val.project, firms=[val.firm, val.expired])
        assert "firms" in exc.value.message_dict


def test_only_the_project_manager_of_the_project_chooses(val):  # type: ignore[no-untyped-def]
    for actor in (val.world.surveyor, val.world.other_pm, val.valuer, val.world.supervisor):
        with pytest.raises(AccessDenied):
            services.selection_negotiate(
                actor=actor, project=val.project, firm=val.firm, decided_on=DAY, record_text="x"
            )


def _households(project, n):  # type: ignore[no-untyped-def]
    return [make_household(project, code=f"V-{i:03d}") for i in range(n)]


def test_a_vote_with_turnout_and_majority_chooses_the_winner(val):  # type: ignore[no-untyped-def]
    _households(val.project, 4)  # 5 households with the fixture's one
    selection = services.selection_vote_open(
        actor=val.pm, project=val.project, firms=[val.firm, val.other_firm]
    )
    services.selection_vote_record(
        actor=val.pm,
        selection=selection,
        ballots={val.firm.pk: "V-000, V-001", val.other_firm.pk: "H-001"},
    )
    assert services.vote_counts(selection) == {val.firm.pk: 2, val.other_firm.pk: 1}
    selection = services.selection_vote_close(actor=val.pm, selection=selection, decided_on=DAY)
    assert selection.status == SelectionStatus.DECIDED and selection.firm == val.firm
    assert (selection.households_total, selection.votes_cast) == (5, 3)
    assert "5 户中有 3 户投票" in selection.outcome


def test_a_vote_below_half_turnout_fails_and_says_why(val):  # type: ignore[no-untyped-def]
    _households(val.project, 3)  # 4 households
    selection = services.selection_vote_open(
        actor=val.pm, project=val.project, firms=[val.firm, val.other_firm]
    )
    services.selection_vote_record(
        actor=val.pm, selection=selection, ballots={val.firm.pk: "V-000 V-001"}
    )
    selection = services.selection_vote_close(actor=val.pm, selection=selection, decided_on=DAY)
    assert selection.status == SelectionStatus.FAILED and selection.firm is None
    assert "4 户中仅有 2 户投票" in selection.outcome
    assert services.chosen_firm(val.project) is None
    # A new selection may start after a failed one.
    services.selection_negotiate(
        actor=val.pm, project=val.project, firm=val.firm, decided_on=DAY, record_text="协商"
    )


def test_votes_are_refused_whole_for_an_unknown_code_a_repeat_or_a_second_vote(val):  # type: ignore[no-untyped-def]
    _households(val.project, 2)
    selection = services.selection_vote_open(
        actor=val.pm, project=val.project, firms=[val.firm, val.other_firm]
    )
    f, g = val.firm.pk, val.other_firm.pk
    with pytest.raises(ValidationError) as exc:
        services.selection_vote_record(actor=val.pm, selection=selection, ballots={f: "V-000 NOPE"})
    assert "NOPE" in str(exc.value.message_dict[f"firm_{f}"])
    with pytest.raises(ValidationError, match="被重复列出"):
        services.selection_vote_record(
            actor=val.pm, selection=selection, ballots={f: "V-000", g: "V-000"}
        )
    assert services.vote_counts(selection) == {f: 0, g: 0}  # nothing of the refused batches
    services.selection_vote_record(actor=val.pm, selection=selection, ballots={f: "V-000"})
    with pytest.raises(ValidationError, match="已投过票"):
        services.selection_vote_record(actor=val.pm, selection=selection, ballots={g: "V-000"})


def test_a_draw_publishes_the_hash_first_and_its_result_is_reproducible(val):  # type: ignore[no-untyped-def]
    third = val.expired
    third.valid_until = dt.date(2031, 1, 1)
    third.save()
    firms = [val.firm, val.other_firm, third]
    selection = services.selection_draw_prepare(actor=val.pm, project=val.project, firms=firms)
    draw = selection.draw
    assert draw is not None and not draw.drawn and draw.revealed_seed == ""
    assert draw.seed_hash == draws.seed_hash(draw.seed)
    assert [key for key, _label in draw.candidates] == [f.pk for f in firms]
    selection = services.selection_draw_run(
        actor=val.pm,
        selection=selection,
        decided_on=DAY,
        witness_value="4 2",
        witnesses="公证员 陈明",
    )
    draw.refresh_from_db()
    order = draws.draw_order(draw.seed, 3, witness="4 2")
    assert draw.order == order
    assert selection.firm == firms[order[0] - 1]
    event = Event.objects.get(event_type="valuation.selection.drawn")
    assert event.details["seed"] == draw.seed and event.details["order"] == order
    with pytest.raises(ValidationError, match="不在进行中"):
        services.selection_draw_run(actor=val.pm, selection=selection, decided_on=DAY)


def test_an_open_selection_can_be_cancelled_with_a_reason(val):  # type: ignore[no-untyped-def]
    selection = services.selection_draw_prepare(
        actor=val.pm, project=val.project, firms=[val.firm, val.other_firm]
    )
    with pytest.raises(ValidationError, match="正在进行的选定程序"):
        services.selection_vote_open(
            actor=val.pm, project=val.project, firms=[val.firm, val.other_firm]
        )
    with pytest.raises(ValidationError):
        services.selection_cancel(actor=val.pm, selection=selection, reason=" ")
    selection = services.selection_cancel(
        actor=val.pm, selection=selection, reason="候选机构资质变更"
    )
    assert selection.status == SelectionStatus.FAILED
    assert "候选机构资质变更" in selection.outcome


def test_a_valuer_added_to_a_chosen_firm_gets_the_project_and_office_staff_cannot_be_valuers(
    chosen,
):  # type: ignore[no-untyped-def]
    from zhengqian.testing.factories import UserFactory

    newcomer = UserFactory(username="newvaluer")
    services.valuer_add(actor=chosen.pm, firm=chosen.firm, user=newcomer)
    assert has_perm(newcomer, Module.VALUATION, Action.CHANGE, project=chosen.project)
    with pytest.raises(ValidationError, match="担任征收办公室角色"):
        services.valuer_add(actor=chosen.pm, firm=chosen.firm, user=chosen.world.surveyor)
    with pytest.raises(ValidationError, match="已是"):
        services.valuer_add(actor=chosen.pm, firm=chosen.other_firm, user=newcomer)
