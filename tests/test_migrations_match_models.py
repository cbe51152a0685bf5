"""The schema the Alembic migrations build is the schema the SQLAlchemy models describe.

A model column, index or constraint added without a migration (or a migration that builds something the models
do not say) shows up here as an autogenerate difference, on SQLite and on PostgreSQL alike. The `engine` fixture
is an empty database migrated to head (SQLite: a copy of one migrated in this session; PostgreSQL: the schema
emptied and migrated at the start of the session), so what is compared is what the migrations alone build.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import voxelhub.models  # noqa: F401  (registers every table on Base.metadata)
from voxelhub.db import Base


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True, "target_metadata": Base.metadata},
        )
        return list(compare_metadata(context, Base.metadata))


def test_every_model_table_is_registered() -> None:
    # If a domain's models module is not imported by voxelhub.models, its tables would be missing from the
    # comparison below and from the migrations' autogenerate alike.
    assert {"users", "api_tokens", "datasets", "annotations", "share_links", "short_links"} <= set(
        Base.metadata.tables
    )


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    differences = _schema_differences(engine)
    assert not differences, "models and migrations differ (add a migration):\n" + "\n".join(
        repr(d) for d in differences
    )
