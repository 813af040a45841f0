"""Webhook events about a simulated site's records, shaped like Thinkific's (contract §7).

Envelope: `id` (digits, as a string), `resource`, `action`, `tenant_id`, `created_at`, `timestamp`
(unix seconds) and `payload`. Payloads follow `thinkific-examples/webhook_*.json`: nested `user`
and `course` objects, `free_trial` rather than REST's `is_free_trial`, and `percentage_completed`
as a percentage string ("24.0"). Records are drawn from the site's current ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.server import SimulatorServer

TOPICS = (
    "quiz.attempted",
    "enrollment.created",
    "enrollment.progress",
    "enrollment.completed",
    "user.signup",
    "user.updated",
)
SOURCES = {"quiz": "quiz_results", "enrollment": "enrollments", "user": "users"}
"""Where each resource's events draw their records from."""
USER_FIELDS = (
    "administered_course_ids",
    "affiliate_code",
    "affiliate_commission",
    "affiliate_commission_type",
    "affiliate_payout_email",
    "avatar_url",
    "bio",
    "company",
    "created_at",
    "custom_profile_fields",
    "email",
    "external_source",
    "first_name",
    "headline",
    "id",
    "last_name",
    "roles",
)


class WebhookEvents:
    """Builds events about one site; the same seed and site give the same events."""

    def __init__(self, sim: SimulatorServer, seed: int = 0) -> None:
        self._truth = sim.ground_truth()
        self._users = {user["id"]: user for user in self._truth["users"]}
        self._certificates = {
            (int(c["user"]["id"]), int(c["course"]["id"])): c for c in self._truth["certificates"]
        }
        self._tenant_id = sim.config.subdomain
        self._clock = sim.clock
        self._random = random.Random(seed)
        self._serial = self._random.randrange(100_000, 900_000)
        self._payloads: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "quiz.attempted": self._quiz_attempted,
            "enrollment.created": self._enrollment,
            "enrollment.progress": self._enrollment,
            "enrollment.completed": self._enrollment_completed,
            "user.signup": self._user,
            "user.updated": self._user,
        }

    def sample(self, count: int, topics: tuple[str, ...] = TOPICS) -> list[dict[str, Any]]:
        """`count` events with distinct ids, cycling through `topics`."""
        unknown = set(topics) - set(self._payloads)
        if unknown:
            raise ValueError(f"unknown topics {sorted(unknown)}; known: {list(self._payloads)}")
        return [self.event(topics[n % len(topics)]) for n in range(count)]

    def event(self, topic: str, record_id: int | None = None) -> dict[str, Any]:
        """One envelope of `topic` about a record picked from the site, or about the record
        `record_id` (an enrollment, user or quiz submission, as the topic says)."""
        resource, action = topic.split(".")
        record = self._record(topic, record_id)
        now = self._clock.now()
        self._serial += 1
        return {
            "id": f"{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}{self._serial:06d}",
            "resource": resource,
            "action": action,
            "tenant_id": self._tenant_id,
            "created_at": _iso(now),
            "timestamp": int(now.timestamp()),
            "payload": self._payloads[topic](record),
        }

    def _record(self, topic: str, record_id: int | None) -> dict[str, Any]:
        """The record an event of `topic` is about: `record_id`'s, or one picked at random (for
        `enrollment.completed`, among the completed enrollments)."""
        stream = SOURCES[topic.split(".")[0]]
        if record_id is not None:
            return next(r for r in self._truth[stream] if int(r["id"]) == record_id)
        records = self._truth[stream]
        if topic == "enrollment.completed":
            records = [e for e in records if e["completed"]]
        if not records:
            raise ValueError(f"the site has no {stream} to send {topic} events about")
        return self._random.choice(records)

    def _person(self, user_id: int) -> dict[str, Any]:
        user = self._users[user_id]
        return {key: user[key] for key in ("id", "first_name", "last_name", "email")}

    def _quiz_attempted(self, result: dict[str, Any]) -> dict[str, Any]:
        answered = result["correctCount"] + result["incorrectCount"]
        return {
            "attempts": result["attempts"],
            "correct_count": result["correctCount"],
            "grade": round(100 * result["correctCount"] / answered),
            "incorrect_count": result["incorrectCount"],
            "result_id": int(result["id"]),
            "user": self._person(int(result["user"]["id"])),
            "quiz": {"id": int(result["quiz"]["id"]), "name": result["quiz"]["name"]},
        }

    def _enrollment(self, enrollment: dict[str, Any]) -> dict[str, Any]:
        return {
            "activated_at": enrollment["activated_at"],
            "completed_at": enrollment["completed_at"],
            "course": {"id": enrollment["course_id"], "name": enrollment["course_name"]},
            "course_id": enrollment["course_id"],
            "created_at": enrollment["created_at"],
            "expiry_date": enrollment["expiry_date"],
            "free_trial": enrollment["is_free_trial"],
            "id": enrollment["id"],
            "percentage_completed": f"{enrollment['percentage_completed'] * 100:.1f}",
            "started_at": enrollment["started_at"],
            "updated_at": enrollment["updated_at"],
            "user": self._person(enrollment["user_id"]),
        }

    def _enrollment_completed(self, enrollment: dict[str, Any]) -> dict[str, Any]:
        """A completed enrollment; with its certificate's fields when it earned one."""
        payload = self._enrollment(enrollment)
        certificate = self._certificates.get((enrollment["user_id"], enrollment["course_id"]))
        if certificate is not None:
            expiry = certificate["expiryDate"]
            payload |= {
                "credential_id": certificate["credentialId"],
                "certificate_url": certificate["pdfDownloadPath"],
                "certificate_expiry_date": expiry[:10] if expiry else None,
            }
        return payload

    def _user(self, user: dict[str, Any]) -> dict[str, Any]:
        payload = {key: user[key] for key in USER_FIELDS}
        commission = payload["affiliate_commission"]
        payload["affiliate_commission"] = None if commission is None else f"{commission:.2f}"
        return payload


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
