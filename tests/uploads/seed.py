"""The Thinkific records upload tests name: products, groups, users and group memberships.

Products 103 and 104 share a name, as do groups 13 and 14 (a name must then be given as an id).
Ada is a Thinkific user; Ada and Bob are in group Sales, Carl in Support.
"""

from typing import Any

from resources.warehouse import WarehouseResource
from schemas.thinkific import to_frame

PRODUCTS = [
    {"id": 101, "name": "Intro to Python", "productable_type": "Course", "productable_id": 1},
    {"id": 102, "name": "Data Bundle", "productable_type": "Bundle", "productable_id": 1},
    {"id": 103, "name": "Duplicate Course", "productable_type": "Course", "productable_id": 3},
    {"id": 104, "name": "Duplicate Course", "productable_type": "Course", "productable_id": 4},
]
GROUPS = [
    {"id": 11, "name": "Sales"},
    {"id": 12, "name": "Support"},
    {"id": 13, "name": "Shared Name"},
    {"id": 14, "name": "Shared Name"},
]
USERS = [
    {"id": 1, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
    {"id": 2, "email": "bob@example.com", "first_name": "Bob", "last_name": "Builder"},
    {"id": 3, "email": "carl@example.com", "first_name": "Carl", "last_name": "Gauss"},
]
MEMBERSHIPS = [
    {"group_id": 11, "user_id": 1},
    {"group_id": 11, "user_id": 2},
    {"group_id": 12, "user_id": 3},
]


def put(warehouse: WarehouseResource, stream: str, records: list[dict[str, Any]]) -> None:
    table = f"thinkific_{stream}"
    warehouse.upsert(table, to_frame(table, records))


def seed_thinkific(warehouse: WarehouseResource) -> None:
    put(warehouse, "products", PRODUCTS)
    put(warehouse, "groups", GROUPS)
    put(warehouse, "users", USERS)
    put(warehouse, "group_memberships", MEMBERSHIPS)
