"""Builds a whole site from a seed, vectorised: 100k users and 1M enrollments take seconds.

Every timestamp lies before GENERATION_ANCHOR, a fixed instant, so the same seed always yields
the same records whatever the day; only `expired` (computed against the running clock) moves.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np

from simulator import pools
from simulator.config import SimulatorConfig
from simulator.generate_learning import generate_learning
from simulator.schema import (
    BUNDLES,
    COURSES,
    CUSTOM_FIELD_DEFINITIONS,
    ENROLLMENTS,
    GROUP_PAIRS,
    GROUPS,
    ORDERS,
    PRODUCTS,
    ROLE_BITS,
    custom_field_column,
    users_schema,
)
from simulator.store import SiteTables
from simulator.table import Table, object_array
from simulator.timestamps import DAY_MS, NULL_MS, to_ms

GENERATION_ANCHOR_MS = to_ms(datetime(2026, 1, 1, tzinfo=UTC))
YEAR_MS = 365 * DAY_MS
WHOLE_SECOND_SHARE = 0.3
"""Share of timestamps with zero milliseconds: Thinkific renders those without the fraction."""

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
    products = _products(rng, courses, bundles)
    enrollments = _enrollments(rng, config.enrollments, users, courses)
    orders = _orders(rng, enrollments, courses, products)
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


def slugify(name: str, fallback: str) -> str:
    """An ASCII URL slug; names in other scripts fall back to `fallback`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or fallback


def _ascending_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Strictly ascending ids with gaps, starting high enough to leave room below them.

    Real ids are neither dense nor small; the room below lets the page-drift fault insert
    records at the front of a list.
    """
    start = int(rng.integers(1_000, 10_000))
    return start + np.cumsum(rng.integers(1, 4, size=count, dtype=np.int64))


def _sorted_times(rng: np.random.Generator, count: int, start_ms: int, end_ms: int) -> np.ndarray:
    """Ascending creation times (creation order = id order), some on whole seconds."""
    return _some_whole_seconds(rng, np.sort(rng.integers(start_ms, end_ms, size=count)))


def _some_whole_seconds(rng: np.random.Generator, ms: np.ndarray) -> np.ndarray:
    """Drops the milliseconds of a share of the (non-null) values; flooring keeps their order."""
    whole = (rng.random(len(ms)) < WHOLE_SECOND_SHARE) & (ms != NULL_MS)
    return np.where(whole, ms - ms % 1000, ms)


def _pick(rng: np.random.Generator, pool: tuple, count: int, null_share: float) -> np.ndarray:
    """Values drawn from `pool` (shared objects, one pointer per row), None for `null_share`."""
    choices = object_array([*pool, None])
    picks = rng.integers(len(pool), size=count)
    picks[rng.random(count) < null_share] = len(pool)
    return choices[picks]


def _subset(rng: np.random.Generator, count: int, share: float, minimum: int) -> np.ndarray:
    """A sorted random subset of `range(count)` of about `share`, with at least `minimum`."""
    size = min(count, max(minimum, round(share * count)))
    return np.sort(rng.choice(count, size=size, replace=False))


def _fill(count: int, rows: np.ndarray, values: list) -> np.ndarray:
    """An object column of None with `values` placed at `rows`."""
    column = np.full(count, None, dtype=object)
    column[rows] = object_array(values)
    return column


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
    ids = _ascending_ids(rng, count)
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
        roles[_subset(rng, count, share, minimum)] |= ROLE_BITS[role]
    affiliates = np.flatnonzero(roles & ROLE_BITS["affiliate"])
    avatars = _subset(rng, count, 0.3, 0)
    phones = _subset(rng, count, 0.5, 0)
    employee_ids = _subset(rng, count, 0.7, 0)
    commission = np.full(count, np.nan)
    commission[affiliates] = rng.choice([10.0, 12.5, 15.0, 20.0], size=len(affiliates))
    payout_email = np.full(count, None, dtype=object)
    payout_email[affiliates] = np.array(emails, dtype=object)[affiliates]
    custom_values = [
        _fill(
            count,
            phones,
            [
                f"+1 555 {n // 10_000:03d} {n % 10_000:04d}"
                for n in rng.integers(0, 10_000_000, size=len(phones)).tolist()
            ],
        ),
        _pick(rng, pools.DEPARTMENTS, count, null_share=0.3),
        _fill(count, employee_ids, [f"E{user_id:07d}" for user_id in ids[employee_ids].tolist()]),
    ]
    columns = {
        "id": ids,
        "created_at": _sorted_times(
            rng, count, GENERATION_ANCHOR_MS - 4 * YEAR_MS, GENERATION_ANCHOR_MS - DAY_MS
        ),
        "first_name": object_array([n[0] for n in pools.FIRST_NAMES])[first],
        "last_name": object_array([n[0] for n in pools.LAST_NAMES])[last],
        "email": object_array(emails),
        "company": _pick(rng, pools.COMPANIES, count, null_share=0.4),
        "roles": roles,
        "avatar_url": _fill(
            count,
            avatars,
            [f"https://avatars.thinkific-sim.example/{i}.png" for i in ids[avatars].tolist()],
        ),
        "bio": _pick(rng, pools.BIOS, count, null_share=0.8),
        "headline": _pick(rng, pools.HEADLINES, count, null_share=0.6),
        "affiliate_code": _fill(count, affiliates, [f"aff{i:x}" for i in ids[affiliates].tolist()]),
        "affiliate_commission": commission,
        "affiliate_commission_type": _fill(
            count, affiliates, rng.choice(["%", "$"], size=len(affiliates)).tolist()
        ),
        "affiliate_payout_email": payout_email,
        "external_source": _pick(rng, pools.EXTERNAL_SOURCES, count, null_share=0.8),
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
            "id": _ascending_ids(rng, count),
            "name": object_array(names),
            "token": object_array([f"{t:08x}" for t in rng.integers(0, 2**32, size=count)]),
            "created_at": _sorted_times(
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
    ids = _ascending_ids(rng, count)
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
            "subtitle": _pick(rng, ("Start here", "For teams", "Self-paced"), count, 0.5),
            "product_id": np.zeros(count, dtype=np.int64),  # set once products exist
            "description": object_array([f"<p>{n}: what you will learn.</p>" for n in names]),
            "course_card_text": object_array(names),
            "intro_video_youtube": _fill(
                count, np.flatnonzero(has_video), ["dQw4w9WgXcQ"] * int(has_video.sum())
            ),
            "contact_information": _pick(rng, ("support@acme-corp.example",), count, 0.6),
            "keywords": _pick(rng, ("safety,work", "sales,skills", "excel,data"), count, 0.3),
            "duration": object_array([str(d) for d in rng.integers(1, 40, size=count)]),
            "banner_image_url": _fill(
                count,
                np.arange(count),
                [f"https://cdn.thinkific-sim.example/banners/{i}.jpg" for i in ids.tolist()],
            ),
            "course_card_image_url": _fill(
                count,
                np.arange(count),
                [f"https://cdn.thinkific-sim.example/cards/{i}.jpg" for i in ids.tolist()],
            ),
            "intro_video_wistia_identifier": _pick(rng, ("wistia0123", "w1st1a99"), count, 0.8),
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
    ids = _ascending_ids(rng, count)
    return Table(
        BUNDLES,
        {
            "id": ids,
            "name": object_array(names),
            "description": object_array([f"Save by taking {n} together." for n in names]),
            "course_ids": object_array(course_lists),
            "tagline": _pick(rng, ("Best value", "Team favourite"), count, 0.5),
            "banner_image_url": _pick(
                rng, ("https://cdn.thinkific-sim.example/b.jpg",), count, 0.5
            ),
            "bundle_card_image_url": object_array(
                [f"https://cdn.thinkific-sim.example/bundles/{i}.jpg" for i in ids.tolist()]
            ),
        },
    )


PAYMENT_PLANS = {
    "free": {"interval": None, "interval_count": None, "number_of_payments": None},
    "one-time": {"interval": None, "interval_count": None, "number_of_payments": None},
    "subscription": {"interval": "month", "interval_count": "1", "number_of_payments": None},
    "payment-plan": {"interval": "month", "interval_count": "1", "number_of_payments": 3},
}


def product_price(price_id: int, payment_type: str, price: float, name: str, primary: bool) -> dict:
    """One entry of a product's `product_prices`, with the spec's string-typed fields."""
    return {
        "id": price_id,
        "is_primary": primary,
        "payment_type": payment_type,
        "label": None if primary else "Team price",
        "price": str(round(price, 2)),
        "days_until_expiry": None,
        "pay_button_text": None,
        **PAYMENT_PLANS[payment_type],
        "trial_interval": None,
        "trial_interval_count": None,
        "custom_first_price": None,
        "price_name": name,
        "currency": "usd",
    }


def _products(rng: np.random.Generator, courses: Table, bundles: Table) -> Table:
    """One product per course, then one per bundle; links each course to its product."""
    kinds = ["Course"] * len(courses) + ["Bundle"] * len(bundles)
    productable_ids = np.concatenate([courses.ids, bundles.ids]).astype(np.int64)
    names = courses.column("name").tolist() + bundles.column("name").tolist()
    count = len(kinds)
    ids = _ascending_ids(rng, count)
    payment_types = rng.choice(list(PAYMENT_PLANS), size=count, p=[0.2, 0.5, 0.2, 0.1]).tolist()
    prices = [
        0.0 if t == "free" else float(p)
        for t, p in zip(
            payment_types, rng.choice([10.99, 49.0, 99.0, 199.0, 299.5], size=count), strict=True
        )
    ]
    price_as_text = (rng.random(count) < 0.25).tolist()
    second_price = (rng.random(count) < 0.3).tolist()
    price_ids = iter(range(1, 2 * count + 1))
    product_prices = []
    for name, payment_type, price, extra in zip(
        names, payment_types, prices, second_price, strict=True
    ):
        entries = [product_price(next(price_ids), payment_type, price, name, primary=True)]
        if extra:
            entries.append(
                product_price(next(price_ids), "one-time", price * 0.8, name, primary=False)
            )
        product_prices.append(entries)
    related = [
        sorted(rng.choice(ids, size=min(count, k), replace=False).tolist())
        for k in rng.integers(0, 3, size=count)
    ]
    columns = {
        "id": ids,
        "created_at": _sorted_times(
            rng, count, GENERATION_ANCHOR_MS - 5 * YEAR_MS, GENERATION_ANCHOR_MS - 4 * YEAR_MS
        ),
        "productable_id": productable_ids,
        "productable_type": object_array(kinds),
        "price": object_array(
            [f"{p:.2f}" if text else p for p, text in zip(prices, price_as_text, strict=True)]
        ),
        "position": np.arange(count),
        "status": object_array(
            rng.choice(["published", "draft"], size=count, p=[0.85, 0.15]).tolist()
        ),
        "name": object_array(names),
        "private": rng.random(count) < 0.1,
        "hidden": rng.random(count) < 0.1,
        "subscription": np.array([t == "subscription" for t in payment_types], dtype=bool),
        "days_until_expiry": object_array(rng.choice([365, 0], size=count).tolist()),
        "has_certificate": rng.random(count) < 0.5,
        "keywords": _pick(rng, ("training,team", "compliance"), count, 0.4),
        "seo_title": object_array(names),
        "seo_description": _pick(rng, ("Online training for busy teams.",), count, 0.5),
        "collection_ids": object_array(
            [
                sorted(set(rng.integers(1, 9, size=k).tolist()))
                for k in rng.integers(0, 4, size=count)
            ]
        ),
        "related_product_ids": object_array(related),
        "description": object_array([f"<p>{n}</p>" for n in names]),
        "card_image_url": object_array(
            [f"https://cdn.thinkific-sim.example/products/{i}.jpg" for i in ids.tolist()]
        ),
        "slug": object_array(
            [slugify(n, f"product-{i}") for n, i in zip(names, ids.tolist(), strict=True)]
        ),
        "product_prices": object_array(product_prices),
    }
    days = columns["days_until_expiry"]
    days[days == 0] = None
    courses_product_ids = ids[: len(courses)]
    for row, product_id in enumerate(courses_product_ids.tolist()):
        courses.set(row, "product_id", product_id)
    return Table(PRODUCTS, columns)


def _enrollments(rng: np.random.Generator, count: int, users: Table, courses: Table) -> Table:
    """Unique (user, course) pairs; free trials, completions and expiries in realistic shares."""
    user_total, course_total = len(users), len(courses)
    pairs = rng.choice(user_total * course_total, size=count, replace=False)
    user_index, course_index = np.divmod(pairs, max(course_total, 1))
    user_created = users.column("created_at")[user_index]
    created = user_created + (rng.random(count) * (GENERATION_ANCHOR_MS - user_created)).astype(
        np.int64
    )
    created = _some_whole_seconds(rng, created)
    order = np.argsort(created, kind="stable")
    created, user_index, course_index = created[order], user_index[order], course_index[order]

    free_trial = rng.random(count) < 0.08
    not_started = rng.random(count) < 0.1
    completed = ~not_started & (rng.random(count) < 0.3)
    started = np.minimum(created + rng.integers(0, 2 * DAY_MS, size=count), GENERATION_ANCHOR_MS)
    completed_at = np.minimum(
        started + rng.integers(3_600_000, 120 * DAY_MS, size=count), GENERATION_ANCHOR_MS
    )
    completed_at = _some_whole_seconds(rng, completed_at)
    latest = np.maximum(
        created, np.where(not_started, created, np.where(completed, completed_at, started))
    )
    updated = np.minimum(latest + rng.integers(0, 3 * DAY_MS, size=count), GENERATION_ANCHOR_MS)
    updated = np.maximum(_some_whole_seconds(rng, updated), latest)
    term_days = rng.choice([30, 90, 365, 730, 1825, 3650], size=count)
    has_expiry = free_trial | (rng.random(count) < 0.35)
    expiry = created + np.where(free_trial, 30, term_days) * DAY_MS
    progress = np.round(rng.uniform(0.01, 0.99, size=count), 2)
    return Table(
        ENROLLMENTS,
        {
            "id": _ascending_ids(rng, count),
            "user_id": users.ids[user_index],
            "course_id": courses.ids[course_index],
            "created_at": created,
            "updated_at": updated,
            "started_at": np.where(not_started, NULL_MS, started),
            "activated_at": np.where(free_trial, NULL_MS, created),
            "completed_at": np.where(completed, completed_at, NULL_MS),
            "expiry_date": np.where(has_expiry, expiry, NULL_MS),
            "percentage_completed": np.where(completed, 1.0, np.where(not_started, 0.0, progress)),
        },
    )


def _orders(rng: np.random.Generator, enrollments: Table, courses: Table, products: Table) -> Table:
    """An order for about a third of the paid enrollments, in enrollment (creation) order."""
    paid = np.flatnonzero(enrollments.column("activated_at") != NULL_MS)
    chosen = paid[rng.random(len(paid)) < 0.3]
    count = len(chosen)
    course_rows = courses.rows_of(enrollments.column("course_id")[chosen])
    product_ids = courses.column("product_id")[course_rows]
    product_rows = products.rows_of(product_ids)
    primary_price = np.array(
        [float(prices[0]["price"]) for prices in products.column("product_prices").tolist()]
    )
    with_coupon = np.flatnonzero(rng.random(count) < 0.1)
    with_referral = np.flatnonzero(rng.random(count) < 0.05)
    return Table(
        ORDERS,
        {
            "id": _ascending_ids(rng, count),
            "created_at": enrollments.column("created_at")[chosen],
            "spaced_created_key": rng.random(count) < 0.5,
            "user_id": enrollments.column("user_id")[chosen],
            "product_id": product_ids,
            "amount_cents": np.round(primary_price[product_rows] * 100).astype(np.int64),
            "subscription": products.column("subscription")[product_rows],
            "coupon_code": _fill(
                count, with_coupon, rng.choice(pools.COUPON_CODES, size=len(with_coupon)).tolist()
            ),
            "coupon_id": _fill(
                count, with_coupon, rng.integers(1, 50, size=len(with_coupon)).tolist()
            ),
            "affiliate_referral_code": _fill(count, with_referral, ["exexex"] * len(with_referral)),
            "status": object_array(
                rng.choice(["complete", "refunded"], size=count, p=[0.95, 0.05]).tolist()
            ),
        },
    )
