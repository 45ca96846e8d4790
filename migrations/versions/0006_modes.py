"""participation modes: on site, online or hybrid, with online seats and a mode per registration

Revision ID: 0006_modes
Revises: 0005
Create Date: 2026-11-30 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_modes"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("seminar", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=10), server_default="onsite", nullable=False)
        )
        batch_op.add_column(
            sa.Column("online_link", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "online_details_in",
                sa.String(length=20),
                server_default="confirmation",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("online_capacity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("online_seats_taken", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "online_waitlist_enabled", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=10), server_default="onsite", nullable=False)
        )
        batch_op.add_column(sa.Column("wanted_mode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("wanted_since", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("wanted_since")
        batch_op.drop_column("wanted_mode")
        batch_op.drop_column("mode")
    with op.batch_alter_table("seminar", schema=None) as batch_op:
        batch_op.drop_column("online_waitlist_enabled")
        batch_op.drop_column("online_seats_taken")
        batch_op.drop_column("online_capacity")
        batch_op.drop_column("online_details_in")
        batch_op.drop_column("online_link")
        batch_op.drop_column("mode")
