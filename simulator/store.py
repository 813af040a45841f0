"""The tables of one simulated site."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.table import Table


@dataclass
class SiteTables:
    """Every stored resource; the relationships between them are resolved by `simulator.site`."""

    users: Table
    custom_field_definitions: Table
    groups: Table
    memberships: Table
    analysts: Table
    products: Table
    courses: Table
    bundles: Table
    enrollments: Table
    orders: Table
    quizzes: Table
    certificates: Table
    quiz_submissions: Table
