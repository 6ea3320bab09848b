"""A sign-off belongs to a version: unique per municipality and version, not per response.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table("sign_off") as batch:
        batch.drop_constraint("uq_sign_off_response_id_municipality_id", type_="unique")
        batch.create_unique_constraint("uq_sign_off_version_id_municipality_id",
                                       ["version_id", "municipality_id"])
        batch.create_index("ix_sign_off_response_id", ["response_id"])


def downgrade() -> None:
    with op.batch_alter_table("sign_off") as batch:
        batch.drop_index("ix_sign_off_response_id")
        batch.drop_constraint("uq_sign_off_version_id_municipality_id", type_="unique")
        batch.create_unique_constraint("uq_sign_off_response_id_municipality_id",
                                       ["response_id", "municipality_id"])
