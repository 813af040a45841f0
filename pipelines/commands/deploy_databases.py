"""The PostgreSQL databases of the deployment, created on first start when the server allows it."""

import sqlalchemy as sa

from resources.redaction import Redactor

MAINTENANCE_DATABASE = "postgres"


def ensure_database(url: sa.URL) -> None:
    """Makes sure the database of `url` exists, creating it when it does not.

    A server that refuses the connection for another reason (wrong password, no such host)
    raises its own error, with the password masked.
    """
    try:
        _connect_once(url)
        return
    except sa.exc.OperationalError as error:
        refusal = error
    if _database_exists(url):  # it exists, so the refusal was about something else
        raise _without_password(url, refusal)
    admin = sa.create_engine(url.set(database=MAINTENANCE_DATABASE), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = connection.dialect.identifier_preparer.quote(url.database)
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()
    print(f"created database {url.render_as_string(hide_password=True)}", flush=True)


def _connect_once(url: sa.URL) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


def _database_exists(url: sa.URL) -> bool:
    """Whether the server lists the database; True when the server cannot be asked."""
    engine = sa.create_engine(url.set(database=MAINTENANCE_DATABASE), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
            return connection.execute(query, {"name": url.database}).first() is not None
    except sa.exc.OperationalError:
        return True
    finally:
        engine.dispose()


def _without_password(url: sa.URL, error: sa.exc.OperationalError) -> RuntimeError:
    redact = Redactor([url.password])
    return RuntimeError(
        f"cannot connect to {url.render_as_string(hide_password=True)}: {redact(str(error.orig))}"
    )
