"""Who changed since a table's last read: the users a nightly read of certificates and quiz
results follows, instead of reading every row again.

Neither certificates nor quiz submissions can be filtered by date (contract §6), but each
follows an enrollment: a quiz attempt moves its enrollment's progress (`updated_at`), and
completing a course completes the enrollment and, where the course's product awards them,
issues a certificate. So the users whose enrollments were updated since a table's last read are
those whose rows may have changed: quiz results are re-read for all of them, certificates for
those whose changed enrollments are in a course that awards certificates (or one whose product
is not known yet). The enrollments read (incremental, and webhook events) tells who.

The mark (sync state `activity_mark`): the latest enrollment `updated_at` in the warehouse when
the table's last read began. A change Thinkific made after that read began carries a later
`updated_at`, whenever its enrollment row arrives; one made before it, that read saw.

What following activity cannot see, the weekly full read catches: changes that touch no
enrollment (a certificate revoked or expired by hand, a quiz submission deleted, the rows of a
deleted user or course).
"""

import datetime as dt

import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import save_state
from resources.warehouse.engine import aware, transaction
from schemas.thinkific.streams import GraphQLConnection, Stream

ENROLLMENTS = "thinkific_enrollments"
CERTIFICATE_SOURCES = ("thinkific_users", "thinkific_courses", "thinkific_products")
"""Who a certificate goes to (by email), and whether an enrollment's course awards one."""


def latest_enrollment_change(warehouse: WarehouseResource) -> dt.datetime | None:
    """The latest `updated_at` of any enrollment in the warehouse: a read's mark."""
    warehouse.ensure_tables(ENROLLMENTS)
    enrollments = warehouse.table(ENROLLMENTS)
    query = sa.select(sa.func.max(enrollments.c.updated_at))
    with transaction(warehouse.engine, write=False) as connection:
        return aware(connection.execute(query).scalar_one())


def last_mark(warehouse: WarehouseResource, table: str) -> dt.datetime | None:
    """The mark of the table's last read (None: no read has recorded one)."""
    return _state(warehouse, table, "activity_mark")


def ever_read_completely(warehouse: WarehouseResource, table: str) -> bool:
    """A complete read of the table has ended: it holds every row, so activity can be followed."""
    return _state(warehouse, table, "complete_read_at") is not None


def _state(warehouse: WarehouseResource, table: str, column: str) -> dt.datetime | None:
    warehouse.ensure_tables(table)
    state = warehouse.sync_state
    query = sa.select(state.c[column]).where(state.c.table_name == table)
    with transaction(warehouse.engine, write=False) as connection:
        return aware(connection.execute(query).scalar_one_or_none())


def save_mark(warehouse: WarehouseResource, table: str, mark: dt.datetime | None) -> None:
    """Records the mark of a read that succeeded (None: the next read reads everything)."""
    with transaction(warehouse.engine, write=True) as connection:
        save_state(connection, warehouse.sync_state, table, activity_mark=mark)


def changed_users(warehouse: WarehouseResource, stream: Stream, since: dt.datetime) -> list:
    """The users whose rows of `stream` may have changed since the mark `since`, as the
    stream's targeted refresh names them (`GraphQLConnection.refresh_by`: ids or emails)."""
    read = stream.read
    assert isinstance(read, GraphQLConnection)
    warehouse.ensure_tables(ENROLLMENTS, *CERTIFICATE_SOURCES)
    enrollments = warehouse.table(ENROLLMENTS)
    changed = enrollments.c.updated_at > since
    if read.refresh_by == "user_id":
        query = sa.select(enrollments.c.user_id).where(changed).distinct()
    else:
        users, courses, products = (warehouse.table(name) for name in CERTIFICATE_SOURCES)
        awards = sa.or_(products.c.has_certificate.is_(True), products.c.id.is_(None))
        query = (
            sa.select(users.c.email)
            .select_from(
                enrollments.join(users, users.c.id == enrollments.c.user_id)
                .outerjoin(courses, courses.c.id == enrollments.c.course_id)
                .outerjoin(products, products.c.id == courses.c.product_id)
            )
            .where(changed, awards, users.c.email.is_not(None))
            .distinct()
        )
    with transaction(warehouse.engine, write=False) as connection:
        return sorted(connection.execute(query).scalars())
