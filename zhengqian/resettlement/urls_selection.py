"""The selection pages of the resettlement module."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.resettlement import views_selection as v

urlpatterns: list[URLPattern] = [
    path("projects/<int:pk>/rounds/", v.rounds, name="rounds"),
    path("rounds/<int:pk>/", v.round_page, name="round"),
    path("rounds/<int:pk>/households/", v.round_households, name="round_households"),
    path("rounds/<int:pk>/flats/", v.round_flats, name="round_flats"),
    path("rounds/<int:pk>/order/", v.round_order, name="round_order"),
    path("rounds/<int:pk>/commit/", v.round_commit, name="round_commit"),
    path("rounds/<int:pk>/draw/", v.round_draw, name="round_draw"),
    path("rounds/<int:pk>/open/", v.round_open, name="round_open"),
    path("rounds/<int:pk>/day/", v.round_day, name="round_day"),
    path("rounds/<int:pk>/day/board/", v.round_board, name="round_board"),
    path("rounds/<int:pk>/close/", v.round_close, name="round_close"),
    path("rounds/<int:pk>/publish/", v.round_publish, name="round_publish"),
    path("rounds/<int:pk>/result/", v.round_result, name="round_result"),
    path("round-entries/<int:pk>/remove/", v.round_remove, name="round_remove"),
    path("round-entries/<int:pk>/choose/", v.choose, name="round_choose"),
    path("round-entries/<int:pk>/absent/", v.absent, name="round_absent"),
]
