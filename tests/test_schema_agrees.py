"""The migrated database is the schema the models declare: a change to either without the other
fails here (alembic's own comparison, the one `flask db migrate` would write a migration from)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_the_migrations_build_what_the_models_declare(app, db):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
