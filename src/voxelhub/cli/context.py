"""What every command needs: settings from the environment and flags, and a migrated database."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from voxelhub.db import make_engine, make_session_factory, run_migrations, transaction
from voxelhub.settings import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "data_dir", None):
        settings = settings.with_overrides(data_dir=Path(args.data_dir))
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """A committed-on-success session on a database migrated to the newest schema."""
    engine = make_engine(settings)
    try:
        run_migrations(engine)
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
