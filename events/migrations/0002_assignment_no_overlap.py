"""Backstop under concurrency: PostgreSQL refuses two overlapping active bookings of a fellow.

The travel-time and minimum-gap parts of the rule live in events/rules.py; this constraint
guards the plain overlap even when two transactions race past the application's check.
"""

from django.db import migrations

from common.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        RunSQLOnPostgres(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        RunSQLOnPostgres(
            sql=(
                "ALTER TABLE events_eventassignment ADD CONSTRAINT "
                "eventassignment_fellow_no_overlap EXCLUDE USING gist "
                "(fellow_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                "WHERE (active);"
            ),
            reverse_sql=(
                "ALTER TABLE events_eventassignment "
                "DROP CONSTRAINT eventassignment_fellow_no_overlap;"
            ),
        ),
    ]
