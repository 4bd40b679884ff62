"""Dashboard personas: household H-001 of project A signed and in force, with its payment
account (the payment fixtures), for the tests of the progress summaries, dashboards and
reports."""

from __future__ import annotations

from zhengqian.payments.tests.conftest import (  # noqa: F401  (the fixtures)
    agr,
    chosen,
    comp,
    pay,
    val,
)
