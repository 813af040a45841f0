"""What the site sells and who bought it: products and their prices, enrollments, orders.

Part of `simulator.generate` (which calls these in order, with one random generator); the shared
column helpers are `simulator.generate_columns`.
"""

from __future__ import annotations

import numpy as np

from simulator import pools
from simulator.generate_columns import (
    GENERATION_ANCHOR_MS,
    YEAR_MS,
    ascending_ids,
    fill,
    pick,
    slugify,
    some_whole_seconds,
    sorted_times,
)
from simulator.schema import ENROLLMENTS, ORDERS, PRODUCTS
from simulator.table import Table, object_array
from simulator.timestamps import DAY_MS, NULL_MS

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


def products_of(rng: np.random.Generator, courses: Table, bundles: Table) -> Table:
    """One product per course, then one per bundle; links each course to its product."""
    kinds = ["Course"] * len(courses) + ["Bundle"] * len(bundles)
    productable_ids = np.concatenate([courses.ids, bundles.ids]).astype(np.int64)
    names = courses.column("name").tolist() + bundles.column("name").tolist()
    count = len(kinds)
    ids = ascending_ids(rng, count)
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
        "created_at": sorted_times(
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
        "keywords": pick(rng, ("training,team", "compliance"), count, 0.4),
        "seo_title": object_array(names),
        "seo_description": pick(rng, ("Online training for busy teams.",), count, 0.5),
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


def enrollments_of(rng: np.random.Generator, count: int, users: Table, courses: Table) -> Table:
    """Unique (user, course) pairs; free trials, completions and expiries in realistic shares."""
    user_total, course_total = len(users), len(courses)
    pairs = rng.choice(user_total * course_total, size=count, replace=False)
    user_index, course_index = np.divmod(pairs, max(course_total, 1))
    user_created = users.column("created_at")[user_index]
    created = user_created + (rng.random(count) * (GENERATION_ANCHOR_MS - user_created)).astype(
        np.int64
    )
    created = some_whole_seconds(rng, created)
    order = np.argsort(created, kind="stable")
    created, user_index, course_index = created[order], user_index[order], course_index[order]

    free_trial = rng.random(count) < 0.08
    not_started = rng.random(count) < 0.1
    completed = ~not_started & (rng.random(count) < 0.3)
    started = np.minimum(created + rng.integers(0, 2 * DAY_MS, size=count), GENERATION_ANCHOR_MS)
    completed_at = np.minimum(
        started + rng.integers(3_600_000, 120 * DAY_MS, size=count), GENERATION_ANCHOR_MS
    )
    completed_at = some_whole_seconds(rng, completed_at)
    latest = np.maximum(
        created, np.where(not_started, created, np.where(completed, completed_at, started))
    )
    updated = np.minimum(latest + rng.integers(0, 3 * DAY_MS, size=count), GENERATION_ANCHOR_MS)
    updated = np.maximum(some_whole_seconds(rng, updated), latest)
    term_days = rng.choice([30, 90, 365, 730, 1825, 3650], size=count)
    has_expiry = free_trial | (rng.random(count) < 0.35)
    expiry = created + np.where(free_trial, 30, term_days) * DAY_MS
    progress = np.round(rng.uniform(0.01, 0.99, size=count), 2)
    return Table(
        ENROLLMENTS,
        {
            "id": ascending_ids(rng, count),
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


def orders_of(
    rng: np.random.Generator, enrollments: Table, courses: Table, products: Table
) -> Table:
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
            "id": ascending_ids(rng, count),
            "created_at": enrollments.column("created_at")[chosen],
            "spaced_created_key": rng.random(count) < 0.5,
            "user_id": enrollments.column("user_id")[chosen],
            "product_id": product_ids,
            "amount_cents": np.round(primary_price[product_rows] * 100).astype(np.int64),
            "subscription": products.column("subscription")[product_rows],
            "coupon_code": fill(
                count, with_coupon, rng.choice(pools.COUPON_CODES, size=len(with_coupon)).tolist()
            ),
            "coupon_id": fill(
                count, with_coupon, rng.integers(1, 50, size=len(with_coupon)).tolist()
            ),
            "affiliate_referral_code": fill(count, with_referral, ["exexex"] * len(with_referral)),
            "status": object_array(
                rng.choice(["complete", "refunded"], size=count, p=[0.95, 0.05]).tolist()
            ),
        },
    )
