"""Bypassing the append-only triggers, as someone with database rights could, to prove that
verify_audit still finds what they did."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The tables whose rows the database itself protects: the audit trail, and the draws.
_PROTECTED_TABLES = ("audit_event", "core_draw")

_SQLITE_TRIGGERS = {
    "audit_event_no_update": "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    "audit_event_no_delete": "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    "core_draw_no_delete": "CREATE TRIGGER core_draw_no_delete BEFORE DELETE ON core_draw "
    "BEGIN SELECT RAISE(ABORT, 'draws are immutable'); END;",
    "core_draw_no_change": "CREATE TRIGGER core_draw_no_change BEFORE UPDATE ON core_draw "
    "WHEN OLD.drawn_at IS NOT NULL OR NEW.seed <> OLD.seed OR NEW.seed_hash <> OLD.seed_hash "
    "OR NEW.candidates <> OLD.candidates "
    "BEGIN SELECT RAISE(ABORT, 'draws are immutable'); END;",
}


def disable_triggers() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in _PROTECTED_TABLES:
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for name in _SQLITE_TRIGGERS:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")


def enable_triggers() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in _PROTECTED_TABLES:
                cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            for sql in _SQLITE_TRIGGERS.values():
                cur.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))


@contextmanager
def triggers_disabled() -> Iterator[None]:
    disable_triggers()
    try:
        yield
    finally:
        enable_triggers()


def raw(sql: str, params: list[object]) -> None:
    with triggers_disabled(), connection.cursor() as cur:
        cur.execute(sql, params)
