"""The voucher pages of the resettlement module."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.resettlement import views_voucher as views

urlpatterns: list[URLPattern] = [
    path("projects/<int:pk>/vouchers/", views.vouchers, name="vouchers"),
    path("projects/<int:pk>/vouchers/issue/", views.voucher_issue, name="voucher_issue"),
    path("projects/<int:pk>/developers/", views.developers, name="developers"),
    path("projects/<int:pk>/developers/new/", views.developer_create, name="developer_create"),
    path("developers/<int:pk>/edit/", views.developer_update, name="developer_update"),
    path("vouchers/<int:pk>/", views.voucher, name="voucher"),
    path("vouchers/<int:pk>/use/", views.voucher_use, name="voucher_use"),
    path("vouchers/<int:pk>/cash/", views.voucher_cash, name="voucher_cash"),
    path("vouchers/<int:pk>/lapse/", views.voucher_lapse, name="voucher_lapse"),
    path("vouchers/<int:pk>/reissue/", views.voucher_reissue, name="voucher_reissue"),
    path("vouchers/<int:pk>/certificate/", views.certificate, name="voucher_certificate"),
    path("voucher-uses/<int:pk>/registered/", views.use_registered, name="voucher_registered"),
]
