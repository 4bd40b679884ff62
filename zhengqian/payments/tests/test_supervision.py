"""The supervision lists: paid but not demolished (拿钱没拆), demolished but not fully paid,
the same person or title certificate paid twice (二次补偿), overdue instalments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from zhengqian.agreements import services as agreements
from zhengqian.agreements.models import Agreement
from zhengqian.agreements.tests.conftest import signing
from zhengqian.agreements.tests.test_services import _second_household
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.payments import selectors, services
from zhengqian.payments.models import (
    HouseholdAccount,
    IdentityKind,
    Instalment,
    PaidIdentity,
    Payment,
)
from zhengqian.payments.selectors import Rule
from zhengqian.survey.models import Building, Person
from zhengqian.survey.tests.test_import_validation import id_number
from zhengqian.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def parts(agreement: Any) -> list[Instalment]:
    return list(Instalment.objects.filter(plan__agreement=agreement).order_by("position"))


def pay_on(c: Any, instalment: Instalment, day: dt.date) -> Payment:
    """Pay the instalment through the services with the transfer dated `day`; the approval is
    moved back first, as a transfer is never dated before its approval."""
    payment = services.request(actor=c.officer, instalment=instalment)
    payment = services.approve(actor=c.finance2, payment=payment, password=PASSWORD)
    Payment.objects.filter(pk=payment.pk).update(approved_at=timezone.now() - dt.timedelta(days=90))
    payment.refresh_from_db()
    return services.record_paid(
        actor=c.finance,
        payment=payment,
        payee="张建国",
        bank="农村商业银行",
        account_no="6222021234567890123",
        voucher_no=f"FK-{instalment.pk}",
        paid_on=day,
    )


def second(c: Any) -> Agreement:
    """Household H-002 of the same project with its agreement in force."""
    calculation = _second_household(c)
    return signing(c, agreements.draft(actor=c.officer, calculation=calculation))


def listed(c: Any, rule: str, today: dt.date | None = None) -> list[int]:
    today = today or TODAY()
    return [a.household_id for a in selectors.rule_accounts(c.project, rule, today)]


def test_paid_30_days_ago_is_not_listed_31_is(pay):  # type: ignore[no-untyped-def]
    other = second(pay)
    pay_on(pay, parts(pay.agreement)[0], TODAY() - dt.timedelta(days=30))
    pay_on(pay, parts(other)[0], TODAY() - dt.timedelta(days=31))
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED) == [other.household_id]
    assert selectors.counts(pay.project)[Rule.PAID_NOT_DEMOLISHED] == 1
    # A day later the first one is over its 30 days too, listed after the older one.
    tomorrow = TODAY() + dt.timedelta(days=1)
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED, tomorrow) == [
        other.household_id,
        pay.household.pk,
    ]
    # Demolition takes a household off the list.
    services.site_step(household=other.household, step="demolished", on=TODAY())
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED, tomorrow) == [pay.household.pk]


def test_the_period_is_the_projects(pay):  # type: ignore[no-untyped-def]
    pay.project.demolish_within_days = 10
    pay.project.save(update_fields=["demolish_within_days"])
    pay_on(pay, parts(pay.agreement)[0], TODAY() - dt.timedelta(days=10))
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED) == []
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED, TODAY() + dt.timedelta(days=1)) == [
        pay.household.pk
    ]


def test_the_first_payment_counts_not_the_last(pay):  # type: ignore[no-untyped-def]
    first, rest = parts(pay.agreement)
    pay_on(pay, first, TODAY() - dt.timedelta(days=40))
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    pay_on(pay, rest, TODAY())
    account = HouseholdAccount.objects.get(pk=pay.account.pk)
    assert account.first_paid_on == TODAY() - dt.timedelta(days=40)
    assert account.last_paid_on == TODAY()
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED) == [pay.household.pk]


def test_a_returned_payment_is_not_paid(pay):  # type: ignore[no-untyped-def]
    payment = pay_on(pay, parts(pay.agreement)[0], TODAY() - dt.timedelta(days=31))
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED) == [pay.household.pk]
    services.record_failure(actor=pay.finance, payment=payment, reason="退回", failed_on=TODAY())
    assert listed(pay, Rule.PAID_NOT_DEMOLISHED) == []


def test_demolished_but_not_fully_paid(pay):  # type: ignore[no-untyped-def]
    first, rest = parts(pay.agreement)
    other = second(pay)
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == []
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    services.site_step(household=pay.household, step="demolished", on=TODAY())
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == [pay.household.pk]
    pay_on(pay, first, TODAY())
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == [pay.household.pk]
    assert selectors.counts(pay.project)[Rule.DEMOLISHED_NOT_PAID] == 1
    rest.refresh_from_db()
    pay_on(pay, rest, TODAY())
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == []
    # The other household, not demolished and not paid, is in neither list.
    assert other.household_id not in listed(pay, Rule.PAID_NOT_DEMOLISHED)
    assert selectors.counts(pay.project)[Rule.DEMOLISHED_NOT_PAID] == 0


def test_overdue_from_the_day_after_the_due_date(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    due = first.due_on
    assert due == TODAY() + dt.timedelta(days=15)
    assert listed(pay, Rule.OVERDUE, due) == []  # due today: not overdue
    assert listed(pay, Rule.OVERDUE, due + dt.timedelta(days=1)) == [pay.household.pk]
    assert selectors.counts(pay.project, due + dt.timedelta(days=1))[Rule.OVERDUE] == 1
    assert selectors.instalment_state(first, None, due) == selectors.InstalmentState.DUE
    assert (
        selectors.instalment_state(first, None, due + dt.timedelta(days=1))
        == selectors.InstalmentState.OVERDUE
    )


def test_an_instalment_due_yesterday_is_overdue_today(pay):  # type: ignore[no-untyped-def]
    """The same with the dates moved back: the plan was made 16 days ago."""
    first, _rest = parts(pay.agreement)
    met = TODAY() - dt.timedelta(days=16)
    Instalment.objects.filter(pk=first.pk).update(met_on=met, due_on=met + dt.timedelta(days=15))
    services.site_step(household=pay.household, step="demolished", on=TODAY())  # refreshes it
    account = HouseholdAccount.objects.get(pk=pay.account.pk)
    assert account.next_due_on == TODAY() - dt.timedelta(days=1)
    assert listed(pay, Rule.OVERDUE) == [pay.household.pk]
    assert listed(pay, Rule.OVERDUE, TODAY() - dt.timedelta(days=1)) == []
    pay_on(pay, first, TODAY())
    assert listed(pay, Rule.OVERDUE) == []  # the vacating instalment is not due yet


def test_the_same_person_paid_in_two_households(pay):  # type: ignore[no-untyped-def]
    other = second(pay)  # make_household gives both heads the same ID number
    head = Person.objects.get(household=pay.household, relation="head").id_number
    assert Person.objects.get(household=other.household, relation="head").id_number == head
    pay_on(pay, parts(pay.agreement)[0], TODAY())
    # Paid in one household only: nothing to flag.
    assert list(selectors.doubles(pay.project.pk)) == []
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 0
    pay_on(pay, parts(other)[0], TODAY())
    rows = list(selectors.doubles(pay.project.pk))
    assert [(r.kind, r.value) for r in rows] == [(IdentityKind.PERSON, head)] * 2
    assert {r.household_id for r in rows} == {pay.household.pk, other.household_id}
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 2
    by_household = {
        row.identity.household_id: [o.household_id for o in row.others]
        for row in selectors.double_rows(pay.project.pk, rows)
    }
    assert by_household == {
        pay.household.pk: [other.household_id],
        other.household_id: [pay.household.pk],
    }


def test_the_same_title_certificate_paid_in_two_households(pay):  # type: ignore[no-untyped-def]
    other = second(pay)
    Person.objects.filter(household=other.household, relation="head").update(
        id_number=id_number(male=True)
    )
    for household_id in (pay.household.pk, other.household_id):
        Building.objects.filter(household_id=household_id, number="1").update(
            title_certificate_no="浙(2019)慈溪市不动产权第0012345号"
        )
    pay_on(pay, parts(pay.agreement)[0], TODAY())
    pay_on(pay, parts(other)[0], TODAY())
    rows = list(selectors.doubles(pay.project.pk))
    assert {(r.kind, r.value) for r in rows} == {
        (IdentityKind.CERTIFICATE, "浙(2019)慈溪市不动产权第0012345号")
    }
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 2


def test_different_people_and_certificates_are_not_flagged(pay):  # type: ignore[no-untyped-def]
    other = second(pay)
    Person.objects.filter(household=other.household, relation="head").update(
        id_number=id_number(male=True)
    )
    pay_on(pay, parts(pay.agreement)[0], TODAY())
    pay_on(pay, parts(other)[0], TODAY())
    assert PaidIdentity.objects.filter(household_id=other.household_id).exists()
    assert list(selectors.doubles(pay.project.pk)) == []
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 0


def test_the_same_person_paid_in_another_project(pay):  # type: ignore[no-untyped-def]
    """A household of project B with the same head, paid there (the disbursement keeps the
    paid household's identities with this same step)."""
    elsewhere = make_household(pay.world.other_project, code="B-001")
    head = Person.objects.get(household=pay.household, relation="head").id_number
    pay_on(pay, parts(pay.agreement)[0], TODAY())
    assert list(selectors.doubles(pay.project.pk)) == []
    services._identities(elsewhere.pk, pay.world.other_project.pk)
    rows = list(selectors.doubles(pay.project.pk))
    assert [(r.kind, r.value, r.household_id) for r in rows] == [
        (IdentityKind.PERSON, head, pay.household.pk)
    ]
    (row,) = selectors.double_rows(pay.project.pk, rows)
    assert [(o.project_id, o.household_id) for o in row.others] == [
        (pay.world.other_project.pk, elsewhere.pk)
    ]
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 1
    assert [r.household_id for r in selectors.doubles(pay.world.other_project.pk)] == [elsewhere.pk]


def test_void_accounts_are_not_listed(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    services.site_step(household=pay.household, step="demolished", on=TODAY())
    far = first.due_on + dt.timedelta(days=1)
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == [pay.household.pk]
    assert listed(pay, Rule.OVERDUE, far) == [pay.household.pk]
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主身份有误")
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == []
    assert listed(pay, Rule.OVERDUE, far) == []
    counts = selectors.counts(pay.project, far)
    assert counts == {
        Rule.PAID_NOT_DEMOLISHED: 0,
        Rule.DEMOLISHED_NOT_PAID: 0,
        Rule.DOUBLE: 0,
        Rule.OVERDUE: 0,
    }
    # Whatever its figures, a void account is never listed.
    HouseholdAccount.objects.filter(pk=pay.account.pk).update(
        first_paid_on=TODAY() - dt.timedelta(days=60), next_due_on=TODAY() - dt.timedelta(days=1)
    )
    assert all(listed(pay, rule) == [] for rule in Rule.ALL if rule != Rule.DOUBLE)


def test_a_redrafted_agreement_keeps_the_site_steps(pay):  # type: ignore[no-untyped-def]
    """Voided and drafted anew: the house demolished before is still demolished."""
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    services.site_step(household=pay.household, step="demolished", on=TODAY())
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主身份有误")
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)
    anew = signing(pay, agreements.draft(actor=pay.officer, calculation=pay.calculation))
    account = HouseholdAccount.objects.get(agreement=anew)
    assert account.demolished_on == account.vacated_on == TODAY()
    first, rest = parts(anew)
    assert rest.met_on == TODAY()  # vacating was accepted already
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == [pay.household.pk]
    pay_on(pay, first, TODAY())
    pay_on(pay, rest, TODAY())
    assert listed(pay, Rule.DEMOLISHED_NOT_PAID) == []


def test_a_returned_payment_is_not_a_second_compensation(pay):  # type: ignore[no-untyped-def]
    other = second(pay)
    first, rest = parts(pay.agreement)
    pay_on(pay, first, TODAY())
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    kept = pay_on(pay, rest, TODAY())
    returned = pay_on(pay, parts(other)[0], TODAY())
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 2
    services.record_failure(actor=pay.finance, payment=returned, reason="退回", failed_on=TODAY())
    # H-002 has been paid nothing: the ID number is paid in one household only.
    assert list(selectors.doubles(pay.project.pk)) == []
    assert not PaidIdentity.objects.filter(household_id=other.household_id).exists()
    # H-001 still holds one paid instalment after the other is returned: still paid.
    services.record_failure(actor=pay.finance, payment=kept, reason="退回", failed_on=TODAY())
    assert PaidIdentity.objects.filter(household_id=pay.household.pk).exists()
    # Paid again: flagged again.
    pay_on(pay, parts(other)[0], TODAY())
    assert selectors.counts(pay.project)[Rule.DOUBLE] == 2
