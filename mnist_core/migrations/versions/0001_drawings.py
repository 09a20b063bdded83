"""The class's drawings.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drawings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_key", sa.String(64), nullable=True, unique=True),
        sa.Column("browser", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("label", sa.SmallInteger(), nullable=False),
        sa.Column("predicted", sa.SmallInteger(), nullable=True),
        sa.Column("probabilities", sa.JSON(), nullable=True),
        sa.Column("model_name", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("pixels", sa.LargeBinary(), nullable=False),
        sa.Column("image_png", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_drawings_created", "drawings", ["created"])
    op.create_index("ix_drawings_browser", "drawings", ["browser"])
    op.create_index("ix_drawings_label", "drawings", ["label"])
    op.create_index("ix_drawings_model_name", "drawings", ["model_name"])


def downgrade() -> None:
    op.drop_table("drawings")
