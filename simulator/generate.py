"""Builds a whole site from a seed, vectorised: 100k users and 1M enrollments take seconds.

Every timestamp lies before GENERATION_ANCHOR, a fixed instant, so the same seed always yields
the same records whatever the day; only `expired` (computed against the running clock) moves.
"""

from __future__ import annotations

import numpy as np

from simulator import pools
from simulator.config import SimulatorConfig
from simulator.generate_columns import (
    GENERATION_ANCHOR_MS,
    YEAR_MS,
    ascending_ids,
    fill,
    pick,
    slugify,
    sorted_times,
    subset,
)
from simulator.generate_commerce import enrollments_of, orders_of, products_of
from simulator.generate_learning import generate_learning
from simulator.schema import (
    BUNDLES,
    COURSES,
    CUSTOM_FIELD_DEFINITIONS,
    GROUP_PAIRS,
    GROUPS,
    ROLE_BITS,
    custom_field_column,
    users_schema,
)
from simulator.store import SiteTables
from simulator.table import Table, object_array
from simulator.timestamps import DAY_MS

CUSTOM_FIELDS = (
    ("Phone", "text", False),
    ("Department", "dropdown", False),
    ("Employee ID", "text", True),
)


def generate_site(config: SimulatorConfig) -> SiteTables:
    """All tables of the site described by `config`, deterministic in `config.seed`."""
    rng = np.random.default_rng(config.seed)
    definitions = _custom_field_definitions()
    users = _users(rng, config.users, definitions.ids.tolist())
    groups = _groups(rng, config.groups)
    memberships = _memberships(rng, users, groups)
    analysts = _analysts(rng, users, groups)
    courses = _courses(rng, config.courses, users)
    bundles = _bundles(rng, config.bundles, courses)
    products = products_of(rng, courses, bundles)
    enrollments = enrollments_of(rng, config.enrollments, users, courses)
    orders = orders_of(rng, enrollments, courses, products)
    quizzes, quiz_submissions, certificates = generate_learning(
        config.seed, courses, products, enrollments
    )
    return SiteTables(
        users=users,
        custom_field_definitions=definitions,
        groups=groups,
        memberships=memberships,
        analysts=analysts,
        products=products,
        courses=courses,
        bundles=bundles,
        enrollments=enrollments,
        orders=orders,
        quizzes=quizzes,
        certificates=certificates,
        quiz_submissions=quiz_submissions,
    )


def _custom_field_definitions() -> Table:
    labels, field_types, required = zip(*CUSTOM_FIELDS, strict=True)
    return Table(
        CUSTOM_FIELD_DEFINITIONS,
        {
            "id": np.arange(1, len(CUSTOM_FIELDS) + 1),
            "label": object_array(list(labels)),
            "field_type": object_array(list(field_types)),
            "required": np.array(required),
        },
    )


def _users(rng: np.random.Generator, count: int, definition_ids: list[int]) -> Table:
    ids = ascending_ids(rng, count)
    first = rng.integers(len(pools.FIRST_NAMES), size=count)
    last = rng.integers(len(pools.LAST_NAMES), size=count)
    domains = rng.integers(len(pools.EMAIL_DOMAINS), size=count)
    mixed_case = rng.random(count) < 0.15
    first_ascii = [name[1] for name in pools.FIRST_NAMES]
    last_ascii = [name[1] for name in pools.LAST_NAMES]
    emails = [
        _email(first_ascii[f], last_ascii[la], user_id, pools.EMAIL_DOMAINS[d], mixed)
        for f, la, user_id, d, mixed in zip(
            first.tolist(),
            last.tolist(),
            ids.tolist(),
            domains.tolist(),
            mixed_case.tolist(),
            strict=True,
        )
    ]
    roles = np.zeros(count, dtype=np.uint8)
    role_shares = {"affiliate": (0.04, 1), "course_admin": (0.02, 2), "group_analyst": (0.03, 3)}
    role_shares["site_admin"] = (0.005, 1)
    for role, (share, minimum) in role_shares.items():
        roles[subset(rng, count, share, minimum)] |= ROLE_BITS[role]
    affiliates = np.flatnonzero(roles & ROLE_BITS["affiliate"])
    avatars = subset(rng, count, 0.3, 0)
    phones = subset(rng, count, 0.5, 0)
    employee_ids = subset(rng, count, 0.7, 0)
    commission = np.full(count, np.nan)
    commission[affiliates] = rng.choice([10.0, 12.5, 15.0, 20.0], size=len(affiliates))
    payout_email = np.full(count, None, dtype=object)
    payout_email[affiliates] = np.array(emails, dtype=object)[affiliates]
    custom_values = [
        fill(
            count,
            phones,
            [
                f"+1 555 {n // 10_000:03d} {n % 10_000:04d}"
                for n in rng.integers(0, 10_000_000, size=len(phones)).tolist()
            ],
        ),
        pick(rng, pools.DEPARTMENTS, count, null_share=0.3),
        fill(count, employee_ids, [f"E{user_id:07d}" for user_id in ids[employee_ids].tolist()]),
    ]
    columns = {
        "id": ids,
        "created_at": sorted_times(
            rng, count, GENERATION_ANCHOR_MS - 4 * YEAR_MS, GENERATION_ANCHOR_MS - DAY_MS
        ),
        "first_name": object_array([n[0] for n in pools.FIRST_NAMES])[first],
        "last_name": object_array([n[0] for n in pools.LAST_NAMES])[last],
        "email": object_array(emails),
        "company": pick(rng, pools.COMPANIES, count, null_share=0.4),
        "roles": roles,
        "avatar_url": fill(
            count,
            avatars,
            [f"https://avatars.thinkific-sim.example/{i}.png" for i in ids[avatars].tolist()],
        ),
        "bio": pick(rng, pools.BIOS, count, null_share=0.8),
        "headline": pick(rng, pools.HEADLINES, count, null_share=0.6),
        "affiliate_code": fill(count, affiliates, [f"aff{i:x}" for i in ids[affiliates].tolist()]),
        "affiliate_commission": commission,
        "affiliate_commission_type": fill(
            count, affiliates, rng.choice(["%", "$"], size=len(affiliates)).tolist()
        ),
        "affiliate_payout_email": payout_email,
        "external_source": pick(rng, pools.EXTERNAL_SOURCES, count, null_share=0.8),
    }
    for definition_id, values in zip(definition_ids, custom_values, strict=True):
        columns[custom_field_column(definition_id)] = values
    return Table(users_schema(definition_ids), columns)


def _email(first: str, last: str, user_id: int, domain: str, mixed_case: bool) -> str:
    """A unique address (the id makes it so); some are mixed case, as people type them."""
    if mixed_case:
        return f"{first.title()}.{last.title()}{user_id}@{domain.title()}"
    return f"{first}.{last}{user_id}@{domain}"


def _groups(rng: np.random.Generator, count: int) -> Table:
    """Groups with unique names (a numeric suffix once the pool is used up)."""
    pool = pools.GROUP_NAMES
    names = [
        pool[i % len(pool)] + (f" {i // len(pool) + 1}" if i >= len(pool) else "")
        for i in range(count)
    ]
    return Table(
        GROUPS,
        {
            "id": ascending_ids(rng, count),
            "name": object_array(names),
            "token": object_array([f"{t:08x}" for t in rng.integers(0, 2**32, size=count)]),
            "created_at": sorted_times(
                rng, count, GENERATION_ANCHOR_MS - 3 * YEAR_MS, GENERATION_ANCHOR_MS
            ),
        },
    )


def _group_pairs(
    group_ids: np.ndarray, user_ids: np.ndarray, group_picks: np.ndarray, user_picks: np.ndarray
) -> Table:
    """Unique (group, user) pairs sorted by group then user."""
    keys = np.unique(group_picks * max(len(user_ids), 1) + user_picks)
    group_index, user_index = np.divmod(keys, max(len(user_ids), 1))
    return Table(
        GROUP_PAIRS,
        {
            "id": np.arange(1, len(keys) + 1),
            "group_id": group_ids[group_index],
            "user_id": user_ids[user_index],
        },
    )


def _memberships(rng: np.random.Generator, users: Table, groups: Table) -> Table:
    """Most users in one or two groups, some in several, some in none."""
    group_count = len(groups) if len(users) else 0
    per_user = rng.choice(4, size=len(users), p=[0.25, 0.45, 0.2, 0.1])
    if not group_count:
        per_user[:] = 0
    user_picks = np.repeat(np.arange(len(users)), per_user)
    group_picks = rng.integers(max(group_count, 1), size=len(user_picks))
    return _group_pairs(groups.ids, users.ids, group_picks, user_picks)


def _analysts(rng: np.random.Generator, users: Table, groups: Table) -> Table:
    """Every user holding the group_analyst role assigned to one or two groups."""
    holders = np.flatnonzero(users.column("roles") & ROLE_BITS["group_analyst"])
    if not len(groups):
        holders = holders[:0]
    user_picks = np.repeat(holders, rng.integers(1, 3, size=len(holders)))
    group_picks = rng.integers(max(len(groups), 1), size=len(user_picks))
    return _group_pairs(groups.ids, users.ids, group_picks, user_picks)


def _role_holders(users: Table, role: str) -> np.ndarray:
    return users.ids[(users.column("roles") & ROLE_BITS[role]) != 0]


def _courses(rng: np.random.Generator, count: int, users: Table) -> Table:
    ids = ascending_ids(rng, count)
    topics = pools.COURSE_TOPICS
    names = [
        topics[i % len(topics)] + (f" — Part {i // len(topics) + 1}" if i >= len(topics) else "")
        for i in range(count)
    ]
    admins = _role_holders(users, "course_admin")
    authors = np.concatenate([_role_holders(users, "site_admin"), admins]).tolist()
    admin_lists = [
        sorted(rng.choice(admins, size=min(len(admins), k), replace=False).tolist())
        for k in rng.integers(0, 3, size=count)
    ]
    chapter_counts = rng.integers(1, 9, size=count)
    chapter_starts = 100 + np.cumsum(chapter_counts) - chapter_counts
    author_picks = rng.integers(max(len(authors), 1), size=count).tolist()
    author_ids = [authors[p] if authors else None for p in author_picks]
    has_video = rng.random(count) < 0.4
    has_instructor = (rng.random(count) < 0.7).tolist()
    return Table(
        COURSES,
        {
            "id": ids,
            "name": object_array(names),
            "slug": object_array(
                [slugify(n, f"course-{i}") for n, i in zip(names, ids.tolist(), strict=True)]
            ),
            "subtitle": pick(rng, ("Start here", "For teams", "Self-paced"), count, 0.5),
            "product_id": np.zeros(count, dtype=np.int64),  # set once products exist
            "description": object_array([f"<p>{n}: what you will learn.</p>" for n in names]),
            "course_card_text": object_array(names),
            "intro_video_youtube": fill(
                count, np.flatnonzero(has_video), ["dQw4w9WgXcQ"] * int(has_video.sum())
            ),
            "contact_information": pick(rng, ("support@acme-corp.example",), count, 0.6),
            "keywords": pick(rng, ("safety,work", "sales,skills", "excel,data"), count, 0.3),
            "duration": object_array([str(d) for d in rng.integers(1, 40, size=count)]),
            "banner_image_url": fill(
                count,
                np.arange(count),
                [f"https://cdn.thinkific-sim.example/banners/{i}.jpg" for i in ids.tolist()],
            ),
            "course_card_image_url": fill(
                count,
                np.arange(count),
                [f"https://cdn.thinkific-sim.example/cards/{i}.jpg" for i in ids.tolist()],
            ),
            "intro_video_wistia_identifier": pick(rng, ("wistia0123", "w1st1a99"), count, 0.8),
            "administrator_user_ids": object_array(admin_lists),
            "chapter_ids": object_array(
                [
                    list(range(start, start + n))
                    for start, n in zip(
                        chapter_starts.tolist(), chapter_counts.tolist(), strict=True
                    )
                ]
            ),
            "reviews_enabled": rng.random(count) < 0.5,
            "user_id": object_array(author_ids),
            "instructor_id": object_array(
                [a if has else None for a, has in zip(author_ids, has_instructor, strict=True)]
            ),
        },
    )


def _bundles(rng: np.random.Generator, count: int, courses: Table) -> Table:
    """Bundles of two to four courses each (fewer when the site has fewer)."""
    names = [
        f"{pools.COURSE_TOPICS[i % len(pools.COURSE_TOPICS)]} Bundle {i + 1}" for i in range(count)
    ]
    course_lists = [
        sorted(rng.choice(courses.ids, size=min(len(courses), k), replace=False).tolist())
        for k in rng.integers(2, 5, size=count)
    ]
    ids = ascending_ids(rng, count)
    return Table(
        BUNDLES,
        {
            "id": ids,
            "name": object_array(names),
            "description": object_array([f"Save by taking {n} together." for n in names]),
            "course_ids": object_array(course_lists),
            "tagline": pick(rng, ("Best value", "Team favourite"), count, 0.5),
            "banner_image_url": pick(rng, ("https://cdn.thinkific-sim.example/b.jpg",), count, 0.5),
            "bundle_card_image_url": object_array(
                [f"https://cdn.thinkific-sim.example/bundles/{i}.jpg" for i in ids.tolist()]
            ),
        },
    )
