"""The two foreign keys the initial schema declared with use_alter: a response's consensus
version and a section's current revision. Alembic's create_table leaves such constraints to
a later ALTER, which the initial migration never made, so on PostgreSQL neither was enforced
(SQLite writes them into its CREATE TABLE, and has them).

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # there since the table was created
    op.create_foreign_key("fk_joint_response_consensus_version_id_version", "joint_response",
                          "version", ["consensus_version_id"], ["id"], ondelete="SET NULL")
    op.create_foreign_key("fk_section_current_revision_id_section_revision", "section",
                          "section_revision", ["current_revision_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_constraint("fk_section_current_revision_id_section_revision", "section",
                       type_="foreignkey")
    op.drop_constraint("fk_joint_response_consensus_version_id_version", "joint_response",
                       type_="foreignkey")
