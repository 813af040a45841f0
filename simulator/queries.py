"""The list filters of the REST API, as vectorised masks over the stored columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from simulator.errors import bad_request
from simulator.schema import ROLE_BITS, custom_field_column
from simulator.store import SiteTables
from simulator.timestamps import DAY_MS, NULL_MS, day_start_ms

DAY_WINDOWS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "on": lambda stamps, day: (stamps >= day) & (stamps < day + DAY_MS),
    "before": lambda stamps, day: stamps < day,
    "after": lambda stamps, day: stamps >= day + DAY_MS,
    "on_or_before": lambda stamps, day: stamps < day + DAY_MS,
    "on_or_after": lambda stamps, day: stamps >= day,
}
"""Day-granular date filters, given the UTC midnight starting the filter's day."""


def _id_param(params: Mapping[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        return int(params[name])
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


def _bool_param(params: Mapping[str, str], name: str) -> bool | None:
    if name not in params:
        return None
    value = params[name].strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise bad_request(f"{name} must be true or false")


def _email_user_id(user_by_email: Mapping[str, int], email: str) -> int:
    """The id of the live user with this address, compared case-insensitively (-1 if none)."""
    return user_by_email.get(email.strip().lower(), -1)


def user_rows(
    tables: SiteTables, user_by_email: Mapping[str, int], params: Mapping[str, str]
) -> np.ndarray:
    """Rows of `GET /users` for its filters; the custom-field filter needs label and value."""
    users = tables.users
    mask = users.alive.copy()
    if "query[email]" in params:
        mask &= users.ids == _email_user_id(user_by_email, params["query[email]"])
    group_id = _id_param(params, "query[group_id]")
    if group_id is not None:
        memberships = tables.memberships
        in_group = memberships.alive & (memberships.column("group_id") == group_id)
        mask &= np.isin(users.ids, memberships.column("user_id")[in_group])
    if "query[role]" in params:
        bit = ROLE_BITS.get(params["query[role]"], 0)
        mask &= (users.column("roles") & bit) != 0
    if "query[external_source]" in params:
        mask &= users.column("external_source") == params["query[external_source]"]
    label = params.get("query[custom_profile_field_label]")
    value = params.get("query[custom_profile_field_value]")
    if label is not None and value is not None:
        definitions = tables.custom_field_definitions
        labelled = definitions.alive & (definitions.column("label") == label)
        matches = np.zeros(len(users), dtype=bool)
        for definition_id in definitions.ids[labelled].tolist():
            matches |= users.column(custom_field_column(definition_id)) == value
        mask &= matches
    return np.flatnonzero(mask)


def enrollment_rows(
    tables: SiteTables, user_by_email: Mapping[str, int], params: Mapping[str, str], now_ms: int
) -> np.ndarray:
    """Rows of `GET /enrollments` for every filter of the contract.

    Date filters are day-granular: the value is cut to its UTC date, `_on` is that day,
    `_before`/`_after` strictly before/after it, `_on_or_*` inclusive.
    """
    enrollments = tables.enrollments
    mask = enrollments.alive.copy()
    for name in ("user_id", "course_id"):
        wanted = _id_param(params, f"query[{name}]")
        if wanted is not None:
            mask &= enrollments.column(name) == wanted
    if "query[email]" in params:
        user_id = _email_user_id(user_by_email, params["query[email]"])
        mask &= enrollments.column("user_id") == user_id
    activated, expiry = enrollments.column("activated_at"), enrollments.column("expiry_date")
    flags: dict[str, Callable[[], np.ndarray]] = {
        "query[free_trial]": lambda: activated == NULL_MS,
        "query[full]": lambda: activated != NULL_MS,
        "query[completed]": lambda: enrollments.column("completed_at") != NULL_MS,
        "query[expired]": lambda: (expiry != NULL_MS) & (expiry <= now_ms),
    }
    for name, holds in flags.items():
        wanted = _bool_param(params, name)
        if wanted is not None:
            mask &= holds() == wanted
    for column in ("created", "updated"):
        for comparison in DAY_WINDOWS:
            name = f"query[{column}_{comparison}]"
            if name in params:
                mask &= _day_mask(
                    enrollments.column(f"{column}_at"), comparison, name, params[name]
                )
    return np.flatnonzero(mask)


def _day_mask(stamps: np.ndarray, comparison: str, name: str, value: str) -> np.ndarray:
    try:
        day = day_start_ms(value)
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 date") from None
    return DAY_WINDOWS[comparison](stamps, day) & (stamps != NULL_MS)
