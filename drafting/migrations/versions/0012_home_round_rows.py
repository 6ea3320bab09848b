"""Every home round that has begun has its row: one for each municipality and response with an
invited reviewer or an internal comment (before this, only a deadline made the row).

Revision ID: 0012
Revises: 0011
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    begun = set()
    for table in ("home_reviewer", "internal_comment"):
        begun |= set(connection.execute(sa.text(
            f"SELECT DISTINCT response_id, municipality_id FROM {table}")).all())
    existing = set(connection.execute(sa.text(
        "SELECT response_id, municipality_id FROM home_round")).all())
    missing = sorted(begun - existing)
    if missing:
        home_round = sa.table("home_round", sa.column("response_id", sa.Integer),
                              sa.column("municipality_id", sa.Integer),
                              sa.column("created_at", sa.DateTime))
        now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as the model stores it
        op.bulk_insert(home_round, [{"response_id": r, "municipality_id": m, "created_at": now}
                                    for r, m in missing])


def downgrade() -> None:
    # The rows added carry no deadline and are harmless to keep: nothing to undo.
    pass
