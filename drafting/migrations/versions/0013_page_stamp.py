"""The response's page stamp, bumped with every change its pages show, and each section's threads
stamp, set with every change of its threads: cached pages and sections are keyed on them
(drafting/freshness.py).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("joint_response") as batch:
        batch.add_column(sa.Column("page_stamp", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("section") as batch:
        batch.add_column(sa.Column("threads_stamp", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("section") as batch:
        batch.drop_column("threads_stamp")
    with op.batch_alter_table("joint_response") as batch:
        batch.drop_column("page_stamp")
