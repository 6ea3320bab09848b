"""Each municipality's own decision: text fingerprints on sign-offs, meeting calendars,
delegation, decision bases and the coordinator's plan dates.

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table("sign_off") as batch:
        batch.add_column(sa.Column("text_fingerprint", sa.String(length=64), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("municipality") as batch:
        batch.add_column(sa.Column("director_may_decide", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("joint_response") as batch:
        batch.add_column(sa.Column("plan_home_round_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("plan_comments_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("plan_positions_due", sa.Date(), nullable=True))
    op.create_table(
        "meeting_date",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.Column("meets_on", sa.Date(), nullable=False),
        sa.Column("document_deadline_days", sa.Integer(), nullable=False),
        sa.Column("source_uid", sa.String(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_meeting_date_municipality_id_municipality"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"],
                                name=op.f("fk_meeting_date_created_by_id_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_date")),
        sa.UniqueConstraint("municipality_id", "body", "meets_on",
                            name=op.f("uq_meeting_date_municipality_id_body_meets_on")),
    )
    with op.batch_alter_table("meeting_date") as batch:
        batch.create_index(batch.f("ix_meeting_date_municipality_id"), ["municipality_id"])
    op.create_table(
        "decision_basis_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("deciding_body", sa.String(length=200), nullable=False),
        sa.Column("local_reference", sa.String(length=80), nullable=False),
        sa.Column("local_considerations", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["joint_response.id"],
                                name=op.f("fk_decision_basis_revision_response_id_joint_response"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_decision_basis_revision_municipality_id_municipality")),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"],
                                name=op.f("fk_decision_basis_revision_author_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_basis_revision")),
        sa.UniqueConstraint(
            "response_id", "municipality_id", "number",
            name=op.f("uq_decision_basis_revision_response_id_municipality_id_number")),
    )
    with op.batch_alter_table("decision_basis_revision") as batch:
        batch.create_index(batch.f("ix_decision_basis_revision_response_id"), ["response_id"])
    _fingerprint_existing_signoffs()


def _fingerprint_existing_signoffs() -> None:
    """Earlier sign-offs signed an immutable version: its fingerprint is what they signed."""
    from drafting.services.fingerprint import text_fingerprint

    connection = op.get_bind()
    version_ids = [row[0] for row in connection.execute(
        sa.text("SELECT DISTINCT version_id FROM sign_off"))]
    for version_id in version_ids:
        sections = connection.execute(sa.text(
            "SELECT heading, body FROM version_section WHERE version_id = :v ORDER BY sort_order"),
            {"v": version_id}).all()
        connection.execute(sa.text("UPDATE sign_off SET text_fingerprint = :f WHERE version_id = :v"),
                           {"f": text_fingerprint((h, b) for h, b in sections), "v": version_id})


def downgrade() -> None:
    with op.batch_alter_table("decision_basis_revision") as batch:
        batch.drop_index(batch.f("ix_decision_basis_revision_response_id"))
    op.drop_table("decision_basis_revision")
    with op.batch_alter_table("meeting_date") as batch:
        batch.drop_index(batch.f("ix_meeting_date_municipality_id"))
    op.drop_table("meeting_date")
    with op.batch_alter_table("joint_response") as batch:
        batch.drop_column("plan_positions_due")
        batch.drop_column("plan_comments_due")
        batch.drop_column("plan_home_round_due")
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("director_may_decide")
    with op.batch_alter_table("sign_off") as batch:
        batch.drop_column("text_fingerprint")
