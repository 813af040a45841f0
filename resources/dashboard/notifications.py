"""Notifications to the dashboard's users and admin: written to an outbox, delivered by SMTP.

By default (`delivery="outbox"`) messages stay in `dashboard_notification_outbox` for the
dashboard's own mailer to pick up; `delivery="smtp"` makes `deliver` send every pending one
through the configured server (smtplib: the standard library's client) and stamp it sent. A
message that fails keeps its error and stays pending, so the next delivery tries again.
"""

import smtplib
from email.message import EmailMessage
from typing import Literal

from dagster import ConfigurableResource
from pydantic import Field

from resources.dashboard.outbox import Message, Template, pending, queue, settle
from resources.dashboard.store import DashboardStore

ImportOutcome = Literal["complete", "failed"]


class NotificationResource(ConfigurableResource):
    """Where the dashboard's messages go. Secrets (the SMTP password) through `EnvVar`."""

    delivery: Literal["outbox", "smtp"] = Field(
        default="outbox",
        description="outbox: only queue messages in dashboard_notification_outbox; smtp: also "
        "send them through the SMTP server below (NOTIFICATIONS_DELIVERY).",
    )
    admin_email: str = Field(
        default="admin@localhost",
        description="Who gets the import complete / import failed notices (DASHBOARD_ADMIN_EMAIL).",
    )
    sender: str = Field(default="dashboard@localhost", description="The From address.")
    dashboard_name: str = Field(
        default="the learning dashboard", description="How messages name the dashboard."
    )
    smtp_host: str = Field(default="localhost", description="SMTP server (SMTP_HOST).")
    smtp_port: int = Field(default=25, description="SMTP port (SMTP_PORT).")
    smtp_username: str | None = Field(default=None, description="SMTP login, if any.")
    smtp_password: str | None = Field(default=None, repr=False, description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)

    def welcome(self) -> Template:
        """The welcome message an import queues for each user it creates."""
        return Template(
            subject=f"Welcome to {self.dashboard_name}",
            body=f"You have been added to {self.dashboard_name}. Sign in with this email "
            "address to see your team's courses and progress.",
        )

    def import_notice(
        self, job: str, run_id: str, outcome: ImportOutcome, detail: str = ""
    ) -> Message:
        """The admin's notice that an import ended; one per run and outcome."""
        body = f"The import {job} (run {run_id}) is {outcome}."
        return Message(
            message_id=f"import_{outcome}:{run_id}",
            kind=f"import_{outcome}",
            recipient=self.admin_email,
            subject=f"Import {outcome}: {job}",
            body=f"{body}\n\n{detail}".strip(),
            run_id=run_id,
        )

    def send(self, store: DashboardStore, messages: list[Message]) -> int:
        """Queues the messages (each once, by id), then delivers what is pending; returns how
        many were sent by SMTP (0 with outbox delivery)."""
        queue(store, messages)
        return self.deliver(store)

    def deliver(self, store: DashboardStore) -> int:
        """Sends every pending message when delivery is smtp; returns how many went out."""
        if self.delivery != "smtp":
            return 0
        messages = pending(store)
        if not messages:
            return 0
        sent = 0
        with smtplib.SMTP(
            self.smtp_host, self.smtp_port, timeout=self.smtp_timeout_seconds
        ) as smtp:
            if self.smtp_starttls:
                smtp.starttls()
            if self.smtp_username:
                smtp.login(self.smtp_username, self.smtp_password or "")
            for message in messages:
                try:
                    smtp.send_message(self._email(message))
                except smtplib.SMTPException as error:
                    settle(store, message.message_id, f"{type(error).__name__}: {error}")
                    continue
                settle(store, message.message_id, None)
                sent += 1
        return sent

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        return email
