"""Products, courses, bundles, orders and custom profile field definitions."""

from tests.simulator.helpers import fetch_all, session_for


def test_products_and_courses_get_by_id_match_the_list(simulator, api):
    for resource in ("products", "courses"):
        listed = fetch_all(api, f"{simulator.base_url}/{resource}")
        assert listed == simulator.ground_truth()[resource]
        assert api.get(f"{simulator.base_url}/{resource}/{listed[-1]['id']}").json() == listed[-1]
        assert api.get(f"{simulator.base_url}/{resource}/1").status_code == 404


def test_every_course_and_bundle_has_its_product(simulator):
    truth = simulator.ground_truth()
    products = {(p["productable_type"], p["productable_id"]): p for p in truth["products"]}
    for course in truth["courses"]:
        assert products[("Course", course["id"])]["id"] == course["product_id"]
    for bundle in truth["bundles"]:
        assert ("Bundle", bundle["id"]) in products


def test_bundle_is_found_through_its_product_and_lists_several_courses(simulator, api):
    product = next(
        p for p in simulator.ground_truth()["products"] if p["productable_type"] == "Bundle"
    )
    bundle = api.get(f"{simulator.base_url}/bundles/{product['productable_id']}").json()
    assert len(bundle["course_ids"]) >= 2
    assert set(bundle) >= {"id", "name", "description", "course_ids", "bundle_card_image_url"}


def test_bundle_courses_are_paginated(simulator, api):
    bundle = simulator.ground_truth()["bundles"][0]
    url = f"{simulator.base_url}/bundles/{bundle['id']}/courses"
    first = api.get(url, params={"limit": 1}).json()
    assert first["meta"]["pagination"]["total_items"] == len(bundle["course_ids"])
    assert first["meta"]["pagination"]["next_page"] == 2
    assert [c["id"] for c in fetch_all(api, url, limit=1)] == sorted(bundle["course_ids"])


def test_unknown_bundle_is_404(simulator, api):
    assert api.get(f"{simulator.base_url}/bundles/1").json() == {"error": "Record not found."}
    assert api.get(f"{simulator.base_url}/bundles/1/courses").status_code == 404


def test_orders_spell_the_creation_key_both_ways_and_amount_dollars_as_a_string(start_simulator):
    sim = start_simulator(users=200, enrollments=600)
    orders = fetch_all(session_for(sim), f"{sim.base_url}/orders", limit=250)
    spaced = [o for o in orders if "created at" in o]
    plain = [o for o in orders if "created_at" in o]
    assert spaced and plain
    assert len(spaced) + len(plain) == len(orders)
    for order in orders:
        assert isinstance(order["amount_dollars"], str)
        assert round(float(order["amount_dollars"]) * 100) == order["amount_cents"]
        assert order["items"][0]["amount_cents"] == order["amount_cents"]


def test_custom_profile_field_definitions_are_listed(simulator, api):
    body = api.get(f"{simulator.base_url}/custom_profile_field_definitions").json()
    labels = [d["label"] for d in body["items"]]
    assert "Phone" in labels
    assert all(isinstance(d["required"], bool) for d in body["items"])
    assert body["meta"]["pagination"]["total_items"] == len(labels)
