"""Selection rounds: the number of desks in the hall (households choosing at the same time).

The drawn place of a household in a round, a lottery's seed and hash once announced, and its
witnesses' value and notary once drawn are refused any change at the database itself, so that
not even code that bypasses the services can rewrite a draw."""

import django.core.validators
from django.db import migrations, models

SQLITE = [
    """CREATE TRIGGER resettlement_drawn_fixed BEFORE UPDATE OF drawn ON resettlement_roundentry
       WHEN OLD.drawn IS NOT NULL AND (NEW.drawn IS NULL OR NEW.drawn != OLD.drawn)
       BEGIN SELECT RAISE(ABORT, 'the drawn place of a household is immutable'); END;""",
    """CREATE TRIGGER resettlement_seed_fixed BEFORE UPDATE ON resettlement_selectionround
       WHEN (OLD.seed_hash != '' AND (NEW.seed != OLD.seed OR NEW.seed_hash != OLD.seed_hash))
         OR (OLD.seed_hash != '' AND OLD.ordered_at IS NOT NULL
             AND (NEW.witness_value != OLD.witness_value OR NEW.notary != OLD.notary
                  OR NEW.notary_office != OLD.notary_office))
       BEGIN SELECT RAISE(ABORT, 'a drawn lottery is immutable'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS resettlement_drawn_fixed;",
    "DROP TRIGGER IF EXISTS resettlement_seed_fixed;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION resettlement_drawn_fixed() RETURNS trigger AS $$
       BEGIN
         IF OLD.drawn IS NOT NULL AND NEW.drawn IS DISTINCT FROM OLD.drawn THEN
           RAISE EXCEPTION 'the drawn place of a household is immutable';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER resettlement_drawn_fixed BEFORE UPDATE ON resettlement_roundentry
       FOR EACH ROW EXECUTE FUNCTION resettlement_drawn_fixed();""",
    """CREATE OR REPLACE FUNCTION resettlement_seed_fixed() RETURNS trigger AS $$
       BEGIN
         IF (OLD.seed_hash <> '' AND (NEW.seed IS DISTINCT FROM OLD.seed
               OR NEW.seed_hash IS DISTINCT FROM OLD.seed_hash))
            OR (OLD.seed_hash <> '' AND OLD.ordered_at IS NOT NULL
               AND (NEW.witness_value IS DISTINCT FROM OLD.witness_value
                 OR NEW.notary IS DISTINCT FROM OLD.notary
                 OR NEW.notary_office IS DISTINCT FROM OLD.notary_office)) THEN
           RAISE EXCEPTION 'a drawn lottery is immutable';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER resettlement_seed_fixed BEFORE UPDATE ON resettlement_selectionround
       FOR EACH ROW EXECUTE FUNCTION resettlement_seed_fixed();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS resettlement_drawn_fixed ON resettlement_roundentry;",
    "DROP FUNCTION IF EXISTS resettlement_drawn_fixed();",
    "DROP TRIGGER IF EXISTS resettlement_seed_fixed ON resettlement_selectionround;",
    "DROP FUNCTION IF EXISTS resettlement_seed_fixed();",
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
    dependencies = [("resettlement", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="selectionround",
            name="desks",
            field=models.PositiveSmallIntegerField(
                default=1,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(20),
                ],
                verbose_name="desks",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
