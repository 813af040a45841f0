"""Stored rows → the JSON objects the REST API answers with, key for key.

Joined and derived fields are computed here, at render time, from the current state: an
enrollment shows its user's current email, and `expired` follows the clock without any write.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from simulator.schema import bits_to_roles, custom_field_column
from simulator.store import SiteTables
from simulator.table import Table
from simulator.timestamps import format_ms

CUSTOM_FIELD_ID_STRIDE = 100
"""A custom profile field value's id is user id * stride + the definition's position (stable)."""

Renderer = Callable[[SiteTables, np.ndarray, int], list[dict]]


def _stored(table: Table, rows: np.ndarray) -> list[dict]:
    """Rows with every stored column, nested values copied so callers cannot edit the store."""
    names = [name for name in table.schema if name != "alive"]
    return copy.deepcopy(table.records(rows, names))


def full_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


def render_users(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    administered: dict[int, list[int]] = defaultdict(list)
    courses = tables.courses
    for course in courses.records(courses.live_rows(), ["id", "administrator_user_ids"]):
        for user_id in course["administrator_user_ids"]:
            administered[user_id].append(course["id"])
    definitions = tables.custom_field_definitions.records(
        tables.custom_field_definitions.live_rows(), ["id", "label"]
    )
    rendered = []
    for user in _stored(tables.users, rows):
        custom_fields = []
        for position, definition in enumerate(definitions, start=1):
            value = user.pop(custom_field_column(definition["id"]))
            if value is not None:
                custom_fields.append(
                    {
                        "id": user["id"] * CUSTOM_FIELD_ID_STRIDE + position,
                        "value": value,
                        "label": definition["label"],
                        "custom_profile_field_definition_id": definition["id"],
                    }
                )
        rendered.append(
            {
                "id": user["id"],
                "created_at": format_ms(user["created_at"]),
                "first_name": user["first_name"],
                "last_name": user["last_name"],
                "full_name": full_name(user["first_name"], user["last_name"]),
                "company": user["company"],
                "email": user["email"],
                "roles": bits_to_roles(user["roles"]),
                "avatar_url": user["avatar_url"],
                "bio": user["bio"],
                "headline": user["headline"],
                "affiliate_code": user["affiliate_code"],
                "affiliate_commission": user["affiliate_commission"],
                "affiliate_commission_type": user["affiliate_commission_type"],
                "affiliate_payout_email": user["affiliate_payout_email"],
                "administered_course_ids": administered.get(user["id"], []),
                "custom_profile_fields": custom_fields,
                "external_source": user["external_source"],
            }
        )
    return rendered


def render_groups(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    return [
        {
            "id": group["id"],
            "name": group["name"],
            "token": group["token"],
            "created_at": format_ms(group["created_at"]),
        }
        for group in _stored(tables.groups, rows)
    ]


def render_products(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    products = _stored(tables.products, rows)
    for product in products:
        product["created_at"] = format_ms(product["created_at"])
    return products


def render_courses(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    return _stored(tables.courses, rows)


def render_bundles(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    return _stored(tables.bundles, rows)


def render_custom_field_definitions(
    tables: SiteTables, rows: np.ndarray, now_ms: int
) -> list[dict]:
    return _stored(tables.custom_field_definitions, rows)


def _joined(table: Table, ids: np.ndarray, names: list[str]) -> list[dict]:
    """The rows of `ids` in another table, deleted ones included (they are still referenced)."""
    return table.records(table.rows_of(ids), names)


def render_enrollments(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    enrollments = tables.enrollments.records(
        rows, [name for name in tables.enrollments.schema if name != "alive"]
    )
    users = _joined(
        tables.users,
        tables.enrollments.column("user_id")[rows],
        ["email", "first_name", "last_name"],
    )
    courses = _joined(tables.courses, tables.enrollments.column("course_id")[rows], ["name"])
    return [
        {
            "id": enrollment["id"],
            "user_email": user["email"],
            "user_name": full_name(user["first_name"], user["last_name"]),
            "user_id": enrollment["user_id"],
            "course_name": course["name"],
            "course_id": enrollment["course_id"],
            "percentage_completed": enrollment["percentage_completed"],
            "expired": enrollment["expiry_date"] is not None
            and enrollment["expiry_date"] <= now_ms,
            "is_free_trial": enrollment["activated_at"] is None,
            "completed": enrollment["completed_at"] is not None,
            "started_at": format_ms(enrollment["started_at"]),
            "activated_at": format_ms(enrollment["activated_at"]),
            "completed_at": format_ms(enrollment["completed_at"]),
            "updated_at": format_ms(enrollment["updated_at"]),
            "expiry_date": format_ms(enrollment["expiry_date"]),
            "created_at": format_ms(enrollment["created_at"]),
        }
        for enrollment, user, course in zip(enrollments, users, courses, strict=True)
    ]


def _dollars(cents: int) -> float | int:
    """An amount as a JSON number: whole dollars as an int (as in the spec's order items)."""
    return cents // 100 if cents % 100 == 0 else cents / 100


def render_orders(tables: SiteTables, rows: np.ndarray, now_ms: int) -> list[dict]:
    orders = _stored(tables.orders, rows)
    users = _joined(
        tables.users, tables.orders.column("user_id")[rows], ["email", "first_name", "last_name"]
    )
    products = _joined(tables.products, tables.orders.column("product_id")[rows], ["name"])
    rendered = []
    for order, user, product in zip(orders, users, products, strict=True):
        created_key = "created at" if order["spaced_created_key"] else "created_at"
        cents = order["amount_cents"]
        rendered.append(
            {
                "id": order["id"],
                created_key: format_ms(order["created_at"]),
                "user_id": order["user_id"],
                "user_email": user["email"],
                "user_name": full_name(user["first_name"], user["last_name"]),
                "product_name": product["name"],
                "product_id": order["product_id"],
                "amount_dollars": str(cents / 100),
                "amount_cents": cents,
                "subscription": order["subscription"],
                "coupon_code": order["coupon_code"],
                "coupon_id": order["coupon_id"],
                "items": [
                    {
                        "product_id": order["product_id"],
                        "product_name": product["name"],
                        "amount_dollars": _dollars(cents),
                        "amount_cents": cents,
                    }
                ],
                "affiliate_referral_code": order["affiliate_referral_code"],
                "status": order["status"],
            }
        )
    return rendered
