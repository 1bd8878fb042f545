"""Indexes for the contacts search by name or email prefix, on PostgreSQL.

Django turns `last_name__istartswith` into `UPPER("last_name"::text) LIKE UPPER('x%')`:
an expression index with text_pattern_ops serves it whatever the database collation.
SQLite (the zero-setup run) has no such index type and does not need it.
"""

from django.db import migrations

COLUMNS = ["first_name", "last_name", "email"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS contact_prefix_{column} ON contacts_contact "
            f"(account_id, UPPER({column}::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS contact_prefix_{column}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
