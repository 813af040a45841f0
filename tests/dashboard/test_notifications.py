"""Import notices and welcome messages: the outbox by default, SMTP one setting away."""

import socket
from collections.abc import Iterator

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from dagster import DagsterInstance, SkipReason, build_run_status_sensor_context

from pipelines.sensors.notifications import import_complete_notice, import_failed_notice
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore
from tests.dashboard.conftest import ADMIN, tools_definitions
from tests.dashboard.site_helpers import launch, synced


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    return DashboardStore(sqlite_warehouse)


def import_and_notify(
    site,
    store,
    instance: DagsterInstance,
    run_config: dict,
    notifications: NotificationResource | None = None,
):
    """Launches the Thinkific import, then evaluates the sensor that watches its outcome."""
    notifications = notifications or NotificationResource(admin_email=ADMIN)
    result = launch(
        tools_definitions(site, store._warehouse, notifications),
        "import_users_from_thinkific",
        run_config,
        instance,
    )
    event = result.get_run_success_event() if result.success else result.get_run_failure_event()
    with build_run_status_sensor_context(
        sensor_name="notice",
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"warehouse": store._warehouse, "notifications": notifications},
    ) as context:
        if result.success:
            return import_complete_notice(context)
        return import_failed_notice(context.for_run_failure())


def outbox(store: DashboardStore) -> list[tuple[str, str]]:
    frame = store.read("dashboard_notification_outbox")
    return sorted(frame[["kind", "recipient"]].itertuples(index=False, name=None))


def test_an_import_that_succeeds_queues_import_complete_for_the_admin(site, store, instance):
    synced(site, store._warehouse)

    import_and_notify(site, store, instance, {})

    assert outbox(store) == [("import_complete", ADMIN)]


def test_an_import_that_fails_queues_import_failed_with_the_error(site, store, instance):
    synced(site, store._warehouse)

    import_and_notify(site, store, instance, {"team": "Nope"})

    (body,) = store.read("dashboard_notification_outbox")["body"]
    assert outbox(store) == [("import_failed", ADMIN)]
    assert "unknown team 'Nope'" in body


def test_prohibit_emails_sends_nothing_at_all_not_even_the_completion_notice(site, store, instance):
    synced(site, store._warehouse)

    evaluation = import_and_notify(site, store, instance, {"prohibit_emails": True})

    assert isinstance(evaluation, SkipReason)
    assert outbox(store) == []


def test_a_run_the_sensor_sees_twice_gets_one_notice(site, store, instance):
    synced(site, store._warehouse)
    import_and_notify(site, store, instance, {})

    import_and_notify(site, store, instance, {})

    assert outbox(store) == [("import_complete", ADMIN)] * 2  # two runs, one notice each


class Inbox:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), keeping what it receives."""

    def __init__(self, refuse: bool = False) -> None:
        self.received: list[tuple[list[str], str]] = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:
                if refuse:
                    return "550 mailbox unavailable"
                inbox.received.append((envelope.rcpt_tos, envelope.content.decode()))
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd checks readiness on its port: it cannot be 0
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def close(self) -> None:
        self._controller.stop()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox()
    yield server
    server.close()


@pytest.fixture
def refusing_inbox() -> Iterator[Inbox]:
    server = Inbox(refuse=True)
    yield server
    server.close()


def test_smtp_delivery_sends_the_welcome_messages_and_the_notice_and_stamps_them_sent(
    site, store, instance, inbox
):
    truth = synced(site, store._warehouse)
    smtp = NotificationResource(
        admin_email=ADMIN, delivery="smtp", smtp_host="127.0.0.1", smtp_port=inbox.port
    )

    import_and_notify(site, store, instance, {"allow_emails": True}, smtp)

    recipients = sorted(to for rcpttos, _ in inbox.received for to in rcpttos)
    assert recipients == sorted([ADMIN, *(u["email"].strip().lower() for u in truth["users"])])
    assert any(
        "Subject: Import complete: import_users_from_thinkific" in data
        for _, data in inbox.received
    )
    assert store.read("dashboard_notification_outbox")["sent_at"].notna().all()


def test_a_message_the_smtp_server_refuses_stays_pending_with_its_error(
    site, store, instance, refusing_inbox
):
    synced(site, store._warehouse)
    smtp = NotificationResource(
        admin_email=ADMIN, delivery="smtp", smtp_host="127.0.0.1", smtp_port=refusing_inbox.port
    )

    import_and_notify(site, store, instance, {}, smtp)

    (row,) = store.read("dashboard_notification_outbox").itertuples()
    assert pd.isna(row.sent_at)
    assert "(550, b'mailbox unavailable')" in row.error
