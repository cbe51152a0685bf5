"""Engine and session factories, the declarative base, and migrations at start-up."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Connection, DateTime, Engine, Integer, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from voxelhub.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(settings: Settings) -> Engine:
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # One connection per worker thread at most: SQLite connections are cheap, waiting for one is not.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20, max_overflow=20
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and the one writer work at once, so several server processes can share the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


# Any constant works, as long as every voxelhub process uses the same one ("voxelhub" in ASCII).
MIGRATION_LOCK_KEY = 0x766F78656C687562


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # the database's Alembic revision, None for an empty database
    head: str  # the newest revision this voxelhub knows

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def run_migrations(engine: Engine) -> SchemaState:
    """Bring the schema to the newest Alembic revision; answers the state it found.

    Processes started at once must not race on `alembic_version`: on PostgreSQL the upgrade runs under a
    transaction-scoped advisory lock (the others wait, then find the schema at head and do nothing); on SQLite
    under an exclusive lock on a file beside the database."""
    from alembic import command

    config = _alembic_config()
    with _sqlite_migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        found = SchemaState(_current_revision(connection), _head_revision(config))
        if not found.at_head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return found


def schema_state(engine: Engine, head: str | None = None) -> SchemaState:
    """Where the database's schema stands against this voxelhub's migrations (reads only). `head` saves
    reading the migration scripts again (`head_revision()`, a constant of the installed code)."""
    with engine.connect() as connection:
        return SchemaState(_current_revision(connection), head or head_revision())


def head_revision() -> str:
    """The newest migration this voxelhub ships."""
    return _head_revision(_alembic_config())


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _head_revision(config: Any) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "voxelhub ships at least one migration"
    return head


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
        yield


class AccessEpoch(Base):
    """One row whose number PostgreSQL raises with every change to a row that decides access (migration 0005);
    the read memo watches it (`voxelhub.read_memo`)."""

    __tablename__ = "access_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger)
