"""outbox lease holder, undeliverable addresses

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("undeliverable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "undeliverable_email", sa.String(length=254), server_default="", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_email")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("undeliverable")
        batch_op.drop_column("claimed_by")
