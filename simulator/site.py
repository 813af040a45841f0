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
from simulator.schema import custom_field_column, roles_to_bits
from simulator.store import SiteTables
from simulator.table import Kind, Table
from simulator.timestamps import to_ms

REQUIRED_USER_FIELDS = ("first_name", "last_name", "email")
DRIFT_RESOURCES = ("users", "groups", "courses", "products", "enrollments")
"""Resources whose lists the page-drift faults can shift (the ones `create` can make)."""


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _stored_value(name: str, kind: Kind, value: Any) -> Any:
    """A field as its column stores it; a value of the wrong type is a 422 on that field."""
    if value is None:
        return None
    try:
        if kind is Kind.TIMESTAMP:
            return to_ms(value)
        if kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise TypeError(value)
            return value
        if kind is Kind.FLOAT:
            return float(value)
        if kind in (Kind.INT, Kind.FLAGS):
            return int(value)
    except (TypeError, ValueError):
        raise unprocessable({name: ["is invalid"]}) from None
    return value


class Site:
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

    # Creating, one resource at a time; each returns the new row.

    def _new_id(self, table: Table, fields: dict[str, Any]) -> int:
        return int(fields.pop("id", None) or table.max_id() + 1)

    def _column_values(self, table: Table, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Fields converted to stored values; a field the resource does not store is an error."""
        values = {}
        for name, value in fields.items():
            kind = table.schema.get(name)
            if kind is None or name in ("id", "alive"):
                raise ValueError(f"{name!r} is not a stored field of this resource")
            values[name] = _stored_value(name, kind, value)
        return values

    def _insert(self, table: Table, fields: dict[str, Any], defaults: Mapping[str, Any]) -> int:
        new_id = self._new_id(table, fields)
        values = self._column_values(table, {**defaults, **fields})
        return table.insert({"id": new_id, **values})

    def _create_user(self, fields: dict[str, Any]) -> int:
        welcome = bool(fields.pop("send_welcome_email", False))
        fields.pop("password", None)
        blank = {
            name: ["can't be blank"]
            for name in REQUIRED_USER_FIELDS
            if not _present(fields.get(name))
        }
        if blank:
            raise unprocessable(blank)
        fields["email"] = str(fields["email"]).strip()
        self._check_email_free(fields["email"], None)
        users = self.tables.users
        row = self._insert(users, self._user_columns(fields), {"created_at": self.clock.now_ms()})
        self.user_by_email[fields["email"].lower()] = int(users.ids[row])
        if welcome:
            self.welcome_emails.append(fields["email"])
        return row

    def _user_columns(self, fields: dict[str, Any]) -> dict[str, Any]:
        """User fields with `roles` as the stored bitmask and custom fields as their columns."""
        if "roles" in fields:
            try:
                fields["roles"] = roles_to_bits(list(fields["roles"] or []))
            except (TypeError, ValueError):
                raise unprocessable({"roles": ["is invalid"]}) from None
        definitions = self.tables.custom_field_definitions
        for entry in fields.pop("custom_profile_fields", None) or []:
            definition_id = (
                entry.get("custom_profile_field_definition_id") if isinstance(entry, dict) else None
            )
            if definitions.row_of(definition_id) is None:
                raise unprocessable({"custom_profile_fields": ["is invalid"]})
            fields[custom_field_column(int(definition_id))] = entry.get("value")
        return fields

    def _check_email_free(self, email: str, user_id: int | None) -> None:
        owner = self.user_by_email.get(email.lower())
        if owner is not None and owner != user_id:
            raise unprocessable({"email": ["has already been taken"]})

    def _update_user(self, row: int, fields: dict[str, Any]) -> None:
        users = self.tables.users
        user_id = int(users.ids[row])
        blank = {
            name: ["can't be blank"]
            for name in REQUIRED_USER_FIELDS
            if name in fields and not _present(fields[name])
        }
        if blank:
            raise unprocessable(blank)
        if "email" in fields:
            fields["email"] = str(fields["email"]).strip()
            self._check_email_free(fields["email"], user_id)
        values = self._column_values(users, self._user_columns(fields))
        if "email" in values:
            del self.user_by_email[users.get(row, "email").lower()]
            self.user_by_email[values["email"].lower()] = user_id
        for name, value in values.items():
            users.set(row, name, value)

    def _check_group_name(self, name: Any, group_id: int | None) -> None:
        """A group name must be given and unique (case-insensitively): `/group_users` uses it."""
        if not _present(name):
            raise unprocessable({"name": ["can't be blank"]})
        wanted = str(name).strip().lower()
        groups = self.tables.groups
        rows = groups.live_rows()
        names = groups.column("name")[rows].tolist()
        for other_id, other_name in zip(groups.ids[rows].tolist(), names, strict=True):
            if other_id != group_id and other_name.strip().lower() == wanted:
                raise unprocessable({"name": ["has already been taken"]})

    def _create_group(self, fields: dict[str, Any]) -> int:
        self._check_group_name(fields.get("name"), None)
        defaults = {
            "token": f"{self._random.getrandbits(32):08x}",
            "created_at": self.clock.now_ms(),
        }
        return self._insert(self.tables.groups, fields, defaults)

    def _require_name(self, fields: Mapping[str, Any]) -> None:
        if not _present(fields.get("name")):
            raise unprocessable({"name": ["can't be blank"]})

    def _create_product_for(self, kind: str, productable_id: int, name: str) -> int:
        """The product of a course or bundle being created (so not yet stored); its id."""
        product_id = self.tables.products.max_id() + 1
        self._insert_product(
            {
                "id": product_id,
                "productable_type": kind,
                "productable_id": productable_id,
                "name": name,
            }
        )
        return product_id

    def _create_course(self, fields: dict[str, Any]) -> int:
        self._require_name(fields)
        courses = self.tables.courses
        course_id = self._new_id(courses, fields)
        self._column_values(courses, fields)  # reject bad fields before the product exists
        defaults = {
            "slug": f"course-{course_id}",
            "administrator_user_ids": [],
            "chapter_ids": [],
            "reviews_enabled": False,
            "product_id": self._create_product_for("Course", course_id, fields["name"]),
        }
        return self._insert(courses, {"id": course_id, **fields}, defaults)

    def _create_bundle(self, fields: dict[str, Any]) -> int:
        self._require_name(fields)
        course_ids = fields.get("course_ids")
        if not isinstance(course_ids, list) or not course_ids:
            raise unprocessable({"course_ids": ["can't be blank"]})
        if any(self.tables.courses.row_of(c) is None for c in course_ids):
            raise unprocessable({"course_ids": ["is invalid"]})
        bundles = self.tables.bundles
        bundle_id = self._new_id(bundles, fields)
        self._column_values(bundles, fields)  # reject bad fields before the product exists
        self._create_product_for("Bundle", bundle_id, fields["name"])
        return self._insert(bundles, {"id": bundle_id, **fields}, {})

    def _create_product(self, fields: dict[str, Any]) -> int:
        kind = fields.get("productable_type")
        owners = {"Course": self.tables.courses, "Bundle": self.tables.bundles}
        if kind not in owners:
            raise unprocessable({"productable_type": ["is invalid"]})
        if owners[kind].row_of(fields.get("productable_id")) is None:
            raise unprocessable({"productable_id": ["is invalid"]})
        return self._insert_product(fields)

    def _insert_product(self, fields: dict[str, Any]) -> int:
        products = self.tables.products
        defaults = {
            "created_at": self.clock.now_ms(),
            "price": 0.0,
            "position": products.live_count(),
            "status": "draft",
            "private": False,
            "hidden": False,
            "subscription": False,
            "has_certificate": False,
            "collection_ids": [],
            "related_product_ids": [],
            "product_prices": [],
        }
        return self._insert(products, fields, defaults)

    def _enrollment_row(self, user_id: int, course_id: int) -> int | None:
        enrollments = self.tables.enrollments
        matches = np.flatnonzero(
            enrollments.alive
            & (enrollments.column("user_id") == user_id)
            & (enrollments.column("course_id") == course_id)
        )
        return int(matches[0]) if len(matches) else None

    def _create_enrollment(self, fields: dict[str, Any]) -> int:
        problems = []
        if self.tables.courses.row_of(fields.get("course_id")) is None:
            problems.append("Course could not be found.")
        if self.tables.users.row_of(fields.get("user_id")) is None:
            problems.append("User could not be found.")
        if problems:
            raise unprocessable(problems)
        if self._enrollment_row(int(fields["user_id"]), int(fields["course_id"])) is not None:
            raise unprocessable(["User is already enrolled in this course."])
        now = self.clock.now_ms()
        defaults = {
            "created_at": now,
            "updated_at": now,
            "started_at": now,
            "percentage_completed": 0.0,
        }
        return self._insert(self.tables.enrollments, fields, defaults)

    def _add_pair(self, table: Table, group_id: int, user_id: int) -> None:
        rows, _ = self._pair_rows(table, group_id=group_id, user_id=user_id)
        if not len(rows):
            table.insert({"id": table.max_id() + 1, "group_id": group_id, "user_id": user_id})

    def _synthetic_fields(self, resource: str, new_id: int) -> dict[str, Any]:
        """Minimal valid fields of a new record, for the page-drift fault."""
        if resource == "users":
            return {
                "first_name": "Drift",
                "last_name": f"User {new_id}",
                "email": f"drift{new_id}@example.com",
            }
        if resource == "groups":
            return {"name": f"Drift group {new_id}"}
        if resource == "courses":
            return {"name": f"Drift course {new_id}"}
        if resource == "products":
            courses = self.tables.courses
            first_course = int(courses.ids[courses.live_rows()[0]])
            return {
                "productable_type": "Course",
                "productable_id": first_course,
                "name": f"Drift product {new_id}",
            }
        if resource == "enrollments":
            user_id, course_id = self._free_enrollment_pair()
            return {"user_id": user_id, "course_id": course_id, "activated_at": self.clock.now_ms()}
        raise ValueError(f"page drift is not simulated for {resource!r}")

    def _free_enrollment_pair(self) -> tuple[int, int]:
        """The first (user, course) pair, in id order, without an enrollment."""
        users, courses, enrollments = (
            self.tables.users,
            self.tables.courses,
            self.tables.enrollments,
        )
        course_ids = courses.ids[courses.live_rows()]
        for user_id in users.ids[users.live_rows()].tolist():
            taken = enrollments.column("course_id")[
                enrollments.alive & (enrollments.column("user_id") == user_id)
            ]
            free = np.setdiff1d(course_ids, taken)
            if len(free):
                return user_id, int(free[0])
        raise ValueError("every user is enrolled in every course")

    # Deleting, with what goes along

    def _kill_where(self, table: Table, column: str, value: int) -> None:
        table.kill(np.flatnonzero(table.alive & (table.column(column) == value)))

    def _delete_user(self, user_id: int) -> None:
        users = self.tables.users
        row = users.row_of(user_id)
        del self.user_by_email[users.get(row, "email").lower()]
        users.kill(row)
        for table in (self.tables.memberships, self.tables.analysts, self.tables.enrollments):
            self._kill_where(table, "user_id", user_id)

    def _delete_group(self, group_id: int) -> None:
        self.tables.groups.kill(self.tables.groups.row_of(group_id))
        for table in (self.tables.memberships, self.tables.analysts):
            self._kill_where(table, "group_id", group_id)

    def _delete_products_of(self, kind: str, productable_id: int) -> None:
        products = self.tables.products
        products.kill(
            np.flatnonzero(
                products.alive
                & (products.column("productable_type") == kind)
                & (products.column("productable_id") == productable_id)
            )
        )

    def _delete_course(self, course_id: int) -> None:
        courses, bundles = self.tables.courses, self.tables.bundles
        courses.kill(courses.row_of(course_id))
        self._delete_products_of("Course", course_id)
        self._kill_where(self.tables.enrollments, "course_id", course_id)
        for row in bundles.live_rows().tolist():
            course_ids = bundles.get(row, "course_ids")
            if course_id in course_ids:
                bundles.set(row, "course_ids", [c for c in course_ids if c != course_id])

    def _delete_bundle(self, bundle_id: int) -> None:
        self.tables.bundles.kill(self.tables.bundles.row_of(bundle_id))
        self._delete_products_of("Bundle", bundle_id)

    def _delete_product(self, product_id: int) -> None:
        self.tables.products.kill(self.tables.products.row_of(product_id))

    def _delete_enrollment(self, enrollment_id: int) -> None:
        self.tables.enrollments.kill(self.tables.enrollments.row_of(enrollment_id))


def _joined(ids: list[Any]) -> str:
    return ", ".join(str(i) for i in ids)
