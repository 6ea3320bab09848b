"""A response's audit trail indexed by (response, id): the response page reads the latest event
that may change its document column on every request, and with a plain index on the response
the database read the response's whole trail for it, once per participation row.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The new index serves every lookup by response that the old one did.
    op.create_index("ix_audit_event_response_id_id", "audit_event", ["response_id", "id"])
    op.drop_index("ix_audit_event_response_id", table_name="audit_event")


def downgrade() -> None:
    op.create_index("ix_audit_event_response_id", "audit_event", ["response_id"])
    op.drop_index("ix_audit_event_response_id_id", table_name="audit_event")
