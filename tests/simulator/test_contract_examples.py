"""The simulator renders every key of Thinkific's example payloads, with compatible types."""

import json
from typing import Any

import pytest

from simulator import SimulatorConfig, SimulatorServer
from tests.contract_examples import EXAMPLES

EXAMPLE_OF_RESOURCE = {
    "users": "rest_users_get.json",
    "groups": "rest_groups_get.json",
    "products": "rest_products_get.json",
    "courses": "rest_courses_get.json",
    "bundles": "rest_bundles_get.json",
    "enrollments": "rest_enrollments_get.json",
    "orders": "rest_orders_list.json",
    "custom_profile_field_definitions": "rest_custom_profile_field_definitions_list.json",
}
TYPE_VARIANTS = {("products", "price"): (int, float, str)}
"""Fields the contract allows in several types: product `price` is sometimes a string."""


def _example_record(resource: str) -> dict:
    example = json.loads((EXAMPLES / EXAMPLE_OF_RESOURCE[resource]).read_text())
    return example["items"][0] if "items" in example else example


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _incompatibilities(example: Any, rendered: Any, where: str) -> list[str]:
    """Keys missing from `rendered` and values whose JSON type differs from the example's."""
    if example is None or rendered is None:
        return []
    if _json_type(example) != _json_type(rendered):
        return [f"{where}: {_json_type(rendered)} where the example has {_json_type(example)}"]
    if isinstance(example, dict):
        problems = [f"{where}.{key}: missing" for key in example if key not in rendered]
        for key in example.keys() & rendered.keys():
            problems += _incompatibilities(example[key], rendered[key], f"{where}.{key}")
        return problems
    if isinstance(example, list) and example and rendered:
        return _incompatibilities(example[0], rendered[0], f"{where}[0]")
    return []


@pytest.fixture(scope="module")
def rendered_site() -> dict[str, list[dict]]:
    """A medium site rendered once (module scope: generating it per test would be waste)."""
    return SimulatorServer(SimulatorConfig(users=300, enrollments=900)).ground_truth()


@pytest.mark.parametrize("resource", list(EXAMPLE_OF_RESOURCE))
def test_rendered_records_carry_every_example_key_with_a_compatible_type(rendered_site, resource):
    example = _example_record(resource)
    variants = {key for (res, key) in TYPE_VARIANTS if res == resource}
    strict_example = {k: v for k, v in example.items() if k not in variants}
    problems = []
    for record in rendered_site[resource]:
        problems += _incompatibilities(strict_example, record, f"{resource}[{record['id']}]")
        for key in variants:
            assert isinstance(record[key], TYPE_VARIANTS[(resource, key)]), (resource, key)
    assert problems == []


@pytest.mark.parametrize("resource", list(EXAMPLE_OF_RESOURCE))
def test_every_example_key_holds_a_non_null_value_on_some_record(rendered_site, resource):
    """Null-tolerant typing above must not hide a field that is never filled."""
    never_filled = [
        key
        for key in _example_record(resource)
        if all(record[key] is None for record in rendered_site[resource])
    ]
    assert never_filled == []


@pytest.mark.parametrize("resource", list(EXAMPLE_OF_RESOURCE))
def test_ids_are_integers_not_floats(rendered_site, resource):
    for record in rendered_site[resource]:
        for key, value in record.items():
            if key == "id" or key.endswith("_id"):
                assert value is None or type(value) is int, (resource, key, value)


def test_list_pagination_carries_every_example_meta_key(simulator, api):
    example = json.loads((EXAMPLES / "rest_users_list.json").read_text())["meta"]["pagination"]
    pagination = api.get(f"{simulator.base_url}/users").json()["meta"]["pagination"]
    assert set(example) <= set(pagination)
    assert all(type(pagination[k]) is int for k in ("current_page", "total_pages", "total_items"))


def test_price_is_a_number_on_some_products_and_a_string_on_others(rendered_site):
    kinds = {type(product["price"]) for product in rendered_site["products"]}
    assert float in kinds
    assert str in kinds
