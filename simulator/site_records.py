"""How a simulated site creates and deletes records, with Thinkific's side effects: a course or
bundle gets its product, a deleted user takes their enrollments and memberships along.

A mixin of `simulator.site.Site`, which holds the tables, the clock and the lock these use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simulator.errors import unprocessable
from simulator.schema import custom_field_column, roles_to_bits
from simulator.table import Kind, Table
from simulator.timestamps import to_ms

REQUIRED_USER_FIELDS = ("first_name", "last_name", "email")


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


class RecordWrites:
    """Creating, one resource at a time, and deleting, with what goes along."""

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
