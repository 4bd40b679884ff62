"""The payments pages (namespace "payments"): a project's funds, supervision lists, finance
queue and ledger; one payment and its steps; asking for an instalment's payment."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.payments import (
    views_index,
    views_ledger,
    views_payment,
    views_project,
    views_receivable,
)

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_index.index, name="index"),
    # A project's funds and the lists read from them.
    path("projects/<int:pk>/", views_project.project, name="project"),
    path("projects/<int:pk>/sources/", views_project.source_create, name="source_create"),
    path("projects/<int:pk>/receipts/", views_project.receipt_record, name="receipt_record"),
    path("projects/<int:pk>/plans/", views_project.plans_create, name="plans_create"),
    path("projects/<int:pk>/rules/<str:rule>/", views_project.rule, name="rule"),
    path("projects/<int:pk>/queue/", views_project.queue, name="queue"),
    path("projects/<int:pk>/ledger/", views_ledger.ledger, name="ledger"),
    path("projects/<int:pk>/ledger/export/", views_ledger.ledger_export, name="ledger_export"),
    path("projects/<int:pk>/receivables/", views_receivable.receivables, name="receivables"),
    # One amount receivable from a household.
    path("receivables/<int:pk>/", views_receivable.receivable, name="receivable"),
    path(
        "receivables/<int:pk>/received/",
        views_receivable.receivable_record,
        name="receivable_record",
    ),
    path(
        "receivables/<int:pk>/cancel/",
        views_receivable.receivable_cancel,
        name="receivable_cancel",
    ),
    # One payment.
    path("<int:pk>/", views_payment.payment, name="payment"),
    path("<int:pk>/approve/", views_payment.approve, name="approve"),
    path("<int:pk>/refuse/", views_payment.refuse, name="refuse"),
    path("<int:pk>/paid/", views_payment.record_paid, name="record_paid"),
    path("<int:pk>/failure/", views_payment.record_failure, name="record_failure"),
    path("<int:pk>/receipt/", views_payment.receipt_upload, name="receipt_upload"),
    path("<int:pk>/receipt/file/", views_payment.receipt_file, name="receipt_file"),
    # Asking for an instalment's payment (from the household page).
    path("instalments/<int:pk>/request/", views_payment.request_payment, name="request"),
]
