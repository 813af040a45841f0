"""Thinkific rows written straight into the warehouse, for rules that need no HTTP."""

import datetime as dt
from typing import Any

from resources.warehouse import WarehouseResource
from schemas.thinkific import to_frame

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def put(warehouse: WarehouseResource, stream: str, records: list[dict[str, Any]]) -> None:
    """Upserts records into `thinkific_<stream>` as the extraction would store them."""
    table = f"thinkific_{stream}"
    warehouse.upsert(table, to_frame(table, records))


def user(user_id: int, email: str) -> dict[str, Any]:
    return {"id": user_id, "email": email, "first_name": f"First{user_id}", "last_name": "Last"}


def course_product(product_id: int, course_id: int) -> dict[str, Any]:
    return {
        "id": product_id,
        "productable_id": course_id,
        "productable_type": "Course",
        "name": f"Course {course_id}",
    }


def bundle_product(product_id: int, bundle_id: int) -> dict[str, Any]:
    return {
        "id": product_id,
        "productable_id": bundle_id,
        "productable_type": "Bundle",
        "name": f"Bundle {bundle_id}",
    }


def enrollment(enrollment_id: int, user_id: int, course_id: int, **fields: Any) -> dict[str, Any]:
    """An active, full (activated) enrollment unless `fields` say otherwise."""
    return {
        "id": enrollment_id,
        "user_id": user_id,
        "course_id": course_id,
        "expired": False,
        "is_free_trial": False,
        "completed": False,
        "activated_at": NOW - 30 * DAY,
        "created_at": NOW - 30 * DAY,
        **fields,
    }
