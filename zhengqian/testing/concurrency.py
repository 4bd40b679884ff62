"""Concurrency tests: run the same write from several threads at once, each with its own
database connection, on PostgreSQL (SQLite serialises writers, so these tests say nothing there
and are skipped)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

# The marks of a module of concurrency tests.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite serialises)"
    ),
]


def error_code(exc: ValidationError) -> str:
    """The codes of a refusal, joined by commas ("invalid" when it has none)."""
    errors = (
        [e for errs in exc.error_dict.values() for e in errs]
        if hasattr(exc, "error_dict")
        else exc.error_list
    )
    codes = list(dict.fromkeys(str(e.code) for e in errors if e.code))
    return ",".join(codes) or "invalid"


def at_once(work: list[Any], run: Callable[[Any], Any], *, timeout: float = 120) -> list[str]:
    """Call `run(item)` for every item, each in its own thread, all released together by a
    barrier. The outcomes, in the order they finished: "ok", the refusal's code, or the name of
    any other exception."""
    barrier = threading.Barrier(len(work))
    outcomes: list[str] = []

    def go(item: Any) -> None:
        try:
            barrier.wait()
            run(item)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(error_code(exc))
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(item,)) for item in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return outcomes
