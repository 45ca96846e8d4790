"""organization branding: a logo and an accent colour for its pages and emails

Revision ID: 0007_branding
Revises: 0006_modes
Create Date: 2026-11-30 09:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_branding"
down_revision = "0006_modes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("logo_type", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("logo_version", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("accent_color", sa.String(length=7), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("accent_color")
        batch_op.drop_column("logo_version")
        batch_op.drop_column("logo_type")
        batch_op.drop_column("logo")
