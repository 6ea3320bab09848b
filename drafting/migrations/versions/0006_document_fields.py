"""Document fields: the cooperation's own reference on a response, a municipality's formal name.

Revision ID: 0006
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table("joint_response") as batch:
        batch.add_column(sa.Column("our_reference", sa.String(80), nullable=False, server_default=""))
    with op.batch_alter_table("municipality") as batch:
        batch.add_column(sa.Column("formal_name", sa.String(160), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("formal_name")
    with op.batch_alter_table("joint_response") as batch:
        batch.drop_column("our_reference")
