"""The home round: internal reviewers, internal comments, the internal deadline.

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_set_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["joint_response.id"],
                                name=op.f("fk_home_round_response_id_joint_response"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_home_round_municipality_id_municipality")),
        sa.ForeignKeyConstraint(["deadline_set_by_id"], ["user.id"],
                                name=op.f("fk_home_round_deadline_set_by_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_round")),
        sa.UniqueConstraint("response_id", "municipality_id",
                            name=op.f("uq_home_round_response_id_municipality_id")),
    )
    op.create_table(
        "home_reviewer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["joint_response.id"],
                                name=op.f("fk_home_reviewer_response_id_joint_response"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_home_reviewer_municipality_id_municipality")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_home_reviewer_user_id_user"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by_id"], ["user.id"],
                                name=op.f("fk_home_reviewer_invited_by_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_reviewer")),
        sa.UniqueConstraint("response_id", "user_id", name=op.f("uq_home_reviewer_response_id_user_id")),
    )
    with op.batch_alter_table("home_reviewer") as batch:
        batch.create_index(batch.f("ix_home_reviewer_response_id"), ["response_id"], unique=False)
        batch.create_index(batch.f("ix_home_reviewer_user_id"), ["user_id"], unique=False)
    op.create_table(
        "internal_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("anchor_exact", sa.Text(), nullable=False),
        sa.Column("lifted_comment_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["joint_response.id"],
                                name=op.f("fk_internal_comment_response_id_joint_response"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_internal_comment_municipality_id_municipality")),
        sa.ForeignKeyConstraint(["section_id"], ["section.id"],
                                name=op.f("fk_internal_comment_section_id_section")),
        sa.ForeignKeyConstraint(["version_id"], ["version.id"],
                                name=op.f("fk_internal_comment_version_id_version")),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"],
                                name=op.f("fk_internal_comment_author_id_user")),
        sa.ForeignKeyConstraint(["lifted_comment_id"], ["comment.id"],
                                name=op.f("fk_internal_comment_lifted_comment_id_comment"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lifted_by_id"], ["user.id"],
                                name=op.f("fk_internal_comment_lifted_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_comment")),
    )
    with op.batch_alter_table("internal_comment") as batch:
        batch.create_index(batch.f("ix_internal_comment_response_id"), ["response_id"], unique=False)
        batch.create_index(batch.f("ix_internal_comment_municipality_id"), ["municipality_id"],
                           unique=False)
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("home_response_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_audit_event_home_response_id_joint_response"),
                                 "joint_response", ["home_response_id"], ["id"], ondelete="SET NULL")
        batch.create_index(batch.f("ix_audit_event_home_response_id"), ["home_response_id"],
                           unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index(batch.f("ix_audit_event_home_response_id"))
        batch.drop_constraint(batch.f("fk_audit_event_home_response_id_joint_response"),
                              type_="foreignkey")
        batch.drop_column("home_response_id")
    op.drop_table("internal_comment")
    op.drop_table("home_reviewer")
    op.drop_table("home_round")
