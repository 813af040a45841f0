"""The generated site: deterministic in its seed, realistic, and what the endpoints serve."""

import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime

import pytest

from simulator import SimulatorConfig, SimulatorServer
from tests.simulator.helpers import fetch_all, session_for

PINNED_CLOCK = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _site(**overrides) -> dict[str, list]:
    config = {"users": 200, "enrollments": 800, "start_time": PINNED_CLOCK} | overrides
    return SimulatorServer(SimulatorConfig(**config)).ground_truth()


@pytest.fixture(scope="module")
def site() -> dict[str, list]:
    return _site()


def test_same_seed_generates_the_same_site():
    assert _site(seed=3) == _site(seed=3)


def test_different_seeds_generate_different_sites():
    first, second = _site(seed=3), _site(seed=4)
    for resource in ("users", "groups", "enrollments", "products", "group_memberships"):
        assert first[resource] != second[resource], resource


def test_ground_truth_equals_what_paging_every_list_returns(simulator, api):
    truth = simulator.ground_truth()
    for resource in (
        "users",
        "groups",
        "products",
        "courses",
        "enrollments",
        "orders",
        "custom_profile_field_definitions",
    ):
        assert fetch_all(api, f"{simulator.base_url}/{resource}", limit=37) == truth[resource]
    for bundle in truth["bundles"]:
        assert api.get(f"{simulator.base_url}/bundles/{bundle['id']}").json() == bundle


def test_ground_truth_memberships_equal_the_group_id_filter(simulator, api):
    truth = simulator.ground_truth()
    from_api = sorted(
        (group["id"], user["id"])
        for group in truth["groups"]
        for user in fetch_all(
            api, f"{simulator.base_url}/users", **{"query[group_id]": group["id"]}
        )
    )
    assert from_api == [(m["group_id"], m["user_id"]) for m in truth["group_memberships"]]


def test_site_has_the_configured_size(start_simulator):
    sim = start_simulator(users=123, groups=5, courses=7, bundles=3, enrollments=321)
    truth = sim.ground_truth()
    sizes = {r: len(truth[r]) for r in ("users", "groups", "courses", "bundles", "enrollments")}
    assert sizes == {"users": 123, "groups": 5, "courses": 7, "bundles": 3, "enrollments": 321}
    assert len(truth["products"]) == 10
    session = session_for(sim)
    body = session.get(f"{sim.base_url}/enrollments").json()
    assert body["meta"]["pagination"]["total_items"] == 321


def test_enrollment_pairs_are_unique(site):
    pairs = Counter((e["user_id"], e["course_id"]) for e in site["enrollments"])
    assert max(pairs.values()) == 1


def test_more_enrollments_than_user_course_pairs_is_a_clear_error():
    with pytest.raises(ValueError, match="one enrollment per user per course"):
        SimulatorConfig(users=10, courses=3, enrollments=31)


def test_names_include_arabic_and_hebrew_and_emails_mixed_case(site):
    names = " ".join(u["full_name"] for u in site["users"])
    scripts = {unicodedata.name(ch).split()[0] for ch in names if ch.isalpha()}
    assert {"ARABIC", "HEBREW", "LATIN"} <= scripts
    assert any(u["email"] != u["email"].lower() for u in site["users"])


def test_users_are_in_several_groups_or_none(site):
    groups_per_user = Counter(m["user_id"] for m in site["group_memberships"])
    assert max(groups_per_user.values()) >= 2
    assert len(groups_per_user) < len(site["users"])


def test_roles_and_nulls_occur_as_in_real_data(site):
    roles = Counter(role for u in site["users"] for role in u["roles"])
    assert set(roles) == {"affiliate", "course_admin", "group_analyst", "site_admin"}
    assert any(u["company"] is None for u in site["users"])
    assert any(u["company"] for u in site["users"])
    affiliate = next(u for u in site["users"] if "affiliate" in u["roles"])
    assert isinstance(affiliate["affiliate_commission"], float)
    assert affiliate["affiliate_commission_type"] in ("%", "$")
    admins = [u for u in site["users"] if u["administered_course_ids"]]
    assert all("course_admin" in u["roles"] for u in admins) and admins


def test_enrollments_include_expired_free_trial_and_completed(site):
    enrollments = site["enrollments"]
    for flag in ("expired", "is_free_trial", "completed"):
        assert any(e[flag] for e in enrollments), flag
        assert not all(e[flag] for e in enrollments), flag
    completed = [e for e in enrollments if e["completed"]]
    assert all(e["percentage_completed"] == 1.0 and e["completed_at"] for e in completed)
    assert all(e["completed_at"] is None for e in enrollments if not e["completed"])
    assert all(0.0 <= e["percentage_completed"] <= 1.0 for e in enrollments)


def test_products_with_and_without_certificates(site):
    assert {p["has_certificate"] for p in site["products"]} == {True, False}
    assert {p["productable_type"] for p in site["products"]} == {"Course", "Bundle"}


def test_timestamps_are_utc_z_with_milliseconds_only_when_not_zero(site):
    stamps = [e[k] for e in site["enrollments"] for k in ("created_at", "updated_at")]
    stamps += [u["created_at"] for u in site["users"]]
    pattern = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
    assert all(pattern.match(stamp) for stamp in stamps)
    assert not any(stamp.endswith(".000Z") for stamp in stamps)
    with_millis = sum("." in stamp for stamp in stamps)
    assert 0 < with_millis < len(stamps)


def test_updated_at_is_never_before_created_at_or_completed_at(site):
    for enrollment in site["enrollments"]:
        stamps = {
            key: enrollment[key] and datetime.fromisoformat(enrollment[key])
            for key in ("created_at", "updated_at", "completed_at")
        }
        assert stamps["updated_at"] >= stamps["created_at"]
        if stamps["completed_at"]:
            assert stamps["updated_at"] >= stamps["completed_at"]
