"""A draw cannot be deleted, and once drawn cannot be changed: the database refuses it, so that
not even code that bypasses the model can rewrite a published result. Before the draw, only the
draw itself may change the row, and never its candidates, seed or published hash."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER core_draw_no_delete BEFORE DELETE ON core_draw
       BEGIN SELECT RAISE(ABORT, 'draws are immutable'); END;""",
    """CREATE TRIGGER core_draw_no_change BEFORE UPDATE ON core_draw
       WHEN OLD.drawn_at IS NOT NULL OR NEW.seed <> OLD.seed OR NEW.seed_hash <> OLD.seed_hash
            OR NEW.candidates <> OLD.candidates
       BEGIN SELECT RAISE(ABORT, 'draws are immutable'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_draw_no_delete;",
    "DROP TRIGGER IF EXISTS core_draw_no_change;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_draw_immutable() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           IF OLD.drawn_at IS NULL AND NEW.seed = OLD.seed AND NEW.seed_hash = OLD.seed_hash
              AND NEW.candidates::text = OLD.candidates::text
           THEN RETURN NEW; END IF;
         END IF;
         RAISE EXCEPTION 'draws are immutable';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_draw_immutable BEFORE UPDATE OR DELETE ON core_draw
       FOR EACH ROW EXECUTE FUNCTION core_draw_immutable();""",
    """CREATE TRIGGER core_draw_no_truncate BEFORE TRUNCATE ON core_draw
       FOR EACH STATEMENT EXECUTE FUNCTION core_draw_immutable();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS core_draw_immutable ON core_draw;",
    "DROP TRIGGER IF EXISTS core_draw_no_truncate ON core_draw;",
    "DROP FUNCTION IF EXISTS core_draw_immutable();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = (
        POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_draw")]
    operations = [migrations.RunPython(forwards, backwards)]
