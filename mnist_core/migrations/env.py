"""Alembic's entry point: run migrations on the connection `database.upgrade` hands over."""

from alembic import context

from mnist_core.database import Base
from mnist_core import tables  # noqa: F401 - registers every table on Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: use the configured database
    from mnist_core.database import database_url
    from sqlalchemy import create_engine

    connection = create_engine(database_url()).connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
