"""One simulated Thinkific site: its records, the writes Thinkific allows, and their side effects.

The REST routes and the test/admin hooks both go through this class, so a record created by a
test looks exactly like one created through `POST`. Site methods accept more than the API does
(explicit ids and timestamps, deletes): the API layer passes only what a real client may send.
Errors are raised as `ApiError` with the body Thinkific would answer.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from simulator import queries, render
from simulator.clock import SimClock
from simulator.errors import ApiError, record_not_found, unprocessable
from simulator.site_records import RecordWrites
from simulator.store import SiteTables
from simulator.table import Table

DRIFT_RESOURCES = ("users", "groups", "courses", "products", "enrollments")
"""Resources whose lists the page-drift faults can shift (the ones `create` can make)."""


class Site(RecordWrites):
    """The records of one site, guarded by one lock (the server is multi-threaded)."""

    def __init__(self, tables: SiteTables, clock: SimClock, seed: int) -> None:
        self.tables = tables
        self.clock = clock
        self.lock = threading.RLock()
        self._random = random.Random(seed)
        self.welcome_emails: list[str] = []
        users = tables.users
        self.user_by_email: dict[str, int] = {
            email.lower(): user_id
            for email, user_id in zip(
                users.column("email")[users.alive].tolist(),
                users.ids[users.alive].tolist(),
                strict=True,
            )
        }
        self._renderers: dict[str, tuple[Table, render.Renderer]] = {
            "users": (tables.users, render.render_users),
            "groups": (tables.groups, render.render_groups),
            "products": (tables.products, render.render_products),
            "courses": (tables.courses, render.render_courses),
            "bundles": (tables.bundles, render.render_bundles),
            "enrollments": (tables.enrollments, render.render_enrollments),
            "orders": (tables.orders, render.render_orders),
            "custom_profile_field_definitions": (
                tables.custom_field_definitions,
                render.render_custom_field_definitions,
            ),
        }
        self._creators: dict[str, Callable[[dict[str, Any]], int]] = {
            "users": self._create_user,
            "groups": self._create_group,
            "courses": self._create_course,
            "products": self._create_product,
            "bundles": self._create_bundle,
            "enrollments": self._create_enrollment,
        }
        self._deleters: dict[str, Callable[[int], None]] = {
            "users": self._delete_user,
            "groups": self._delete_group,
            "courses": self._delete_course,
            "products": self._delete_product,
            "bundles": self._delete_bundle,
            "enrollments": self._delete_enrollment,
        }

    # Reading

    def table(self, resource: str) -> Table:
        if resource not in self._renderers:
            raise ApiError(404, {"error": f"Unknown resource {resource!r}"})
        return self._renderers[resource][0]

    def render(self, resource: str, rows: np.ndarray | Iterable[int]) -> list[dict]:
        """Rows of `resource` exactly as the REST API renders them now."""
        renderer = self._renderers[resource][1]
        with self.lock:
            return renderer(self.tables, np.asarray(rows, dtype=np.intp), self.clock.now_ms())

    def live_row(self, resource: str, record_id: Any) -> int:
        """The row of a live record, or the 404 Thinkific answers."""
        row = self.table(resource).row_of(record_id)
        if row is None:
            raise record_not_found()
        return row

    def get(self, resource: str, record_id: Any) -> dict:
        with self.lock:
            return self.render(resource, [self.live_row(resource, record_id)])[0]

    def list_rows(self, resource: str, params: Mapping[str, str]) -> np.ndarray:
        """Rows a list endpoint serves for its query parameters, in id order."""
        with self.lock:
            if resource == "users":
                return queries.user_rows(self.tables, self.user_by_email, params)
            if resource == "enrollments":
                return queries.enrollment_rows(
                    self.tables, self.user_by_email, params, self.clock.now_ms()
                )
            return self.table(resource).live_rows()

    def _analyst_group(self, group_id: Any) -> int:
        """The id of a live group, or the 404 the analyst routes answer (a list of objects)."""
        if self.tables.groups.row_of(group_id) is None:
            raise ApiError(
                404, {"error": [{"group_id": f"Could not find group with ID {group_id}."}]}
            )
        return int(group_id)

    def analyst_ids(self, group_id: Any) -> list[int]:
        with self.lock:
            group_id = self._analyst_group(group_id)
            return sorted(self._pair_rows(self.tables.analysts, group_id=group_id)[1])

    def bundle_course_rows(self, bundle_id: Any) -> np.ndarray:
        with self.lock:
            course_ids = self.tables.bundles.get(self.live_row("bundles", bundle_id), "course_ids")
            courses = self.tables.courses
            return np.flatnonzero(courses.alive & np.isin(courses.ids, course_ids))

    def ground_truth(self) -> dict[str, list]:
        """Every live record as the REST list/get endpoints render it now."""
        with self.lock:
            truth: dict[str, list] = {
                resource: self.render(resource, table.live_rows())
                for resource, (table, _) in self._renderers.items()
            }
            truth["group_memberships"] = self._pairs(self.tables.memberships)
            truth["group_analysts"] = self._pairs(self.tables.analysts)
            truth["welcome_emails"] = list(self.welcome_emails)
            return truth

    @staticmethod
    def _pairs(table: Table) -> list[dict[str, int]]:
        return sorted(
            table.records(table.live_rows(), ["group_id", "user_id"]),
            key=lambda pair: (pair["group_id"], pair["user_id"]),
        )

    @staticmethod
    def _pair_rows(
        table: Table, group_id: int | None = None, user_id: int | None = None
    ) -> tuple[np.ndarray, list[int]]:
        """Live pair rows matching a group and/or a user, and their user ids."""
        mask = table.alive.copy()
        if group_id is not None:
            mask &= table.column("group_id") == group_id
        if user_id is not None:
            mask &= table.column("user_id") == user_id
        rows = np.flatnonzero(mask)
        return rows, table.column("user_id")[rows].tolist()

    # Writing

    def create(self, resource: str, fields: Mapping[str, Any]) -> dict:
        """Create a record and return it as the API renders it.

        Beyond the API's request fields, `id`, `created_at` and any stored field may be given.
        `courses` and `bundles` get their product, as on Thinkific.
        """
        if resource not in self._creators:
            raise ApiError(404, {"error": f"Cannot create {resource!r}"})
        with self.lock:
            row = self._creators[resource](dict(fields))
            return self.render(resource, [row])[0]

    def update(self, resource: str, record_id: Any, fields: Mapping[str, Any]) -> dict:
        """Change stored fields; an enrollment's `updated_at` moves to now unless given."""
        with self.lock:
            table = self.table(resource)
            row = self.live_row(resource, record_id)
            fields = dict(fields)
            if resource == "users":
                self._update_user(row, fields)
            else:
                if resource == "enrollments":
                    fields.setdefault("updated_at", self.clock.now_ms())
                if resource == "groups" and "name" in fields:
                    self._check_group_name(fields["name"], int(record_id))
                for name, value in self._column_values(table, fields).items():
                    table.set(row, name, value)
            return self.render(resource, [row])[0]

    def delete(self, resource: str, record_id: Any) -> None:
        """Delete a record and what Thinkific deletes with it; it simply stops appearing."""
        if resource not in self._deleters:
            raise ApiError(404, {"error": f"Cannot delete {resource!r}"})
        with self.lock:
            self.live_row(resource, record_id)
            self._deleters[resource](int(record_id))

    def add_group_member(self, group_id: Any, user_id: Any) -> None:
        """Put a user in a group (no-op when already there)."""
        with self.lock:
            self.live_row("groups", group_id)
            self.live_row("users", user_id)
            self._add_pair(self.tables.memberships, int(group_id), int(user_id))

    def remove_group_member(self, group_id: Any, user_id: Any) -> None:
        with self.lock:
            rows, _ = self._pair_rows(
                self.tables.memberships, group_id=int(group_id), user_id=int(user_id)
            )
            if not len(rows):
                raise record_not_found()
            self.tables.memberships.kill(rows)

    def add_to_groups_by_name(self, user_id: Any, group_names: Any) -> None:
        """`POST /group_users`: groups are named, not numbered; one unknown name fails it all."""
        with self.lock:
            users, groups = self.tables.users, self.tables.groups
            if users.row_of(user_id) is None:
                raise unprocessable(["Invalid user_id"])
            if not isinstance(group_names, list) or not group_names:
                raise unprocessable(["Invalid group_names"])
            rows = groups.live_rows()
            by_name = dict(
                zip(groups.column("name")[rows].tolist(), groups.ids[rows].tolist(), strict=True)
            )
            if any(name not in by_name for name in group_names):
                raise unprocessable(["Invalid group_names"])
            for name in group_names:
                self._add_pair(self.tables.memberships, by_name[name], int(user_id))

    def assign_analysts(self, group_id: Any, user_ids: Any) -> None:
        """`POST /groups/{id}/analysts`: every user must exist and hold the group_analyst role."""
        with self.lock:
            group_id = self._analyst_group(group_id)
            users = self.tables.users
            if not isinstance(user_ids, list) or not user_ids:
                raise unprocessable({"user_id": "Invalid user IDs: "})
            unknown = [u for u in user_ids if users.row_of(u) is None]
            if unknown:
                raise unprocessable({"user_id": f"Invalid user IDs: {_joined(unknown)}"})
            lacking = [u for u in user_ids if "group_analyst" not in self.get("users", u)["roles"]]
            if lacking:
                raise unprocessable(
                    {"group_analysts": f"User IDs missing group_analysts role:: {_joined(lacking)}"}
                )
            for user_id in user_ids:
                self._add_pair(self.tables.analysts, group_id, int(user_id))

    def enroll_in_bundle(self, bundle_id: Any, fields: Mapping[str, Any]) -> list[dict]:
        """Enrol a user in each course of a bundle that they are not enrolled in yet."""
        with self.lock:
            course_ids = self.tables.bundles.get(self.live_row("bundles", bundle_id), "course_ids")
            if self.tables.users.row_of(fields.get("user_id")) is None:
                raise unprocessable(["User could not be found."])
            enrolled = []
            for course_id in course_ids:
                if self.tables.courses.row_of(course_id) is None:
                    continue
                if self._enrollment_row(int(fields["user_id"]), course_id) is None:
                    enrolled.append(self.create("enrollments", {**fields, "course_id": course_id}))
            return enrolled

    def insert_front(self, resource: str, count: int) -> None:
        """Page drift: create `count` records with ids below every existing one."""
        with self.lock:
            table = self.table(resource)
            for _ in range(count):
                new_id = table.min_id() - 1
                if new_id < 1:
                    raise ValueError(f"no room left below the first {resource} id")
                self.create(resource, {"id": new_id, **self._synthetic_fields(resource, new_id)})

    def delete_front(self, resource: str, count: int) -> None:
        """Page drift: delete the first `count` records of the list."""
        with self.lock:
            table = self.table(resource)
            for record_id in table.ids[table.live_rows()[:count]].tolist():
                self.delete(resource, record_id)


def _joined(ids: list[Any]) -> str:
    return ", ".join(str(i) for i in ids)
