"""The notification outbox table: messages queued once by id, stamped when delivered."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.store import DashboardStore, utc_now

OUTBOX = "dashboard_notification_outbox"


@dataclass(frozen=True)
class Message:
    message_id: str
    """Unique per message: queuing the same id again does nothing (a sensor may see a run twice)."""
    kind: str
    recipient: str
    subject: str
    body: str
    run_id: str | None = None


@dataclass(frozen=True)
class Template:
    """A message's words; who it goes to is filled in per recipient."""

    subject: str
    body: str


def queue(store: DashboardStore, messages: Sequence[Message]) -> None:
    stamp = utc_now()
    store.write(OUTBOX, [{**vars(m), "queued_at": stamp} for m in messages], update=False)


def welcome_rows(
    recipients: sa.Select, template: Template, run_id: str, at: dt.datetime
) -> sa.Select:
    """Outbox rows, one welcome message per email in `recipients` (a one-column select)."""
    email = recipients.subquery("recipients").c[0]
    return sa.select(
        (sa.literal("welcome:") + email).label("message_id"),
        sa.literal("welcome").label("kind"),
        email.label("recipient"),
        sa.literal(template.subject).label("subject"),
        sa.literal(template.body).label("body"),
        sa.literal(run_id).label("run_id"),
        sa.literal(at, sa.DateTime(timezone=True)).label("queued_at"),
    )


def pending(store: DashboardStore) -> list[Message]:
    """Messages not delivered yet, oldest first."""
    outbox = store.table(OUTBOX)
    query = (
        sa.select(*(outbox.c[name] for name in Message.__dataclass_fields__))
        .where(outbox.c.sent_at.is_(None))
        .order_by(outbox.c.queued_at, outbox.c.message_id)
    )
    with store.engine.connect() as connection:
        return [Message(*row) for row in connection.execute(query)]


def settle(store: DashboardStore, message_id: str, error: str | None) -> None:
    """Stamps a message delivered, or records why delivery failed (it stays pending)."""
    outbox = store.table(OUTBOX)
    values = {"error": error} if error else {"sent_at": utc_now(), "error": None}
    with store.transaction() as connection:
        connection.execute(
            sa.update(outbox).where(outbox.c.message_id == message_id).values(values)
        )
