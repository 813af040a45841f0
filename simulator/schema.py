"""Stored columns of each resource, and the user role bitmask.

Fields the API derives at render time are not stored: `full_name`, `roles` (from the bitmask),
`administered_course_ids` (from the courses), `custom_profile_fields` (from one column per
definition), enrollments' `user_email`/`user_name`/`course_name`/`expired`/`completed`/
`is_free_trial`, and orders' user, product and amount fields.
"""

from __future__ import annotations

from simulator.table import Kind

ROLES = ("affiliate", "course_admin", "group_analyst", "site_admin")
ROLE_BITS = {role: 1 << position for position, role in enumerate(ROLES)}


def roles_to_bits(roles: list[str]) -> int:
    """The bitmask of role names; unknown names raise ValueError."""
    bits = 0
    for role in roles:
        if role not in ROLE_BITS:
            raise ValueError(role)
        bits |= ROLE_BITS[role]
    return bits


def bits_to_roles(bits: int) -> list[str]:
    return [role for role in ROLES if bits & ROLE_BITS[role]]


def custom_field_column(definition_id: int) -> str:
    """The users column holding the values of one custom profile field definition."""
    return f"custom_field_{definition_id}"


def users_schema(definition_ids: list[int]) -> dict[str, Kind]:
    return {
        "created_at": Kind.TIMESTAMP,
        "first_name": Kind.OBJECT,
        "last_name": Kind.OBJECT,
        "email": Kind.OBJECT,
        "company": Kind.OBJECT,
        "roles": Kind.FLAGS,
        "avatar_url": Kind.OBJECT,
        "bio": Kind.OBJECT,
        "headline": Kind.OBJECT,
        "affiliate_code": Kind.OBJECT,
        "affiliate_commission": Kind.FLOAT,
        "affiliate_commission_type": Kind.OBJECT,
        "affiliate_payout_email": Kind.OBJECT,
        "external_source": Kind.OBJECT,
    } | {custom_field_column(i): Kind.OBJECT for i in definition_ids}


CUSTOM_FIELD_DEFINITIONS = {"label": Kind.OBJECT, "field_type": Kind.OBJECT, "required": Kind.BOOL}

GROUPS = {"name": Kind.OBJECT, "token": Kind.OBJECT, "created_at": Kind.TIMESTAMP}

GROUP_PAIRS = {"group_id": Kind.INT, "user_id": Kind.INT}
"""Memberships and analyst assignments: a (group, user) pair; the row id is internal."""

PRODUCTS = {
    "created_at": Kind.TIMESTAMP,
    "productable_id": Kind.INT,
    "productable_type": Kind.OBJECT,
    "price": Kind.OBJECT,  # a number on most products, a string on some, as observed
    "position": Kind.INT,
    "status": Kind.OBJECT,
    "name": Kind.OBJECT,
    "private": Kind.BOOL,
    "hidden": Kind.BOOL,
    "subscription": Kind.BOOL,
    "days_until_expiry": Kind.OBJECT,
    "has_certificate": Kind.BOOL,
    "keywords": Kind.OBJECT,
    "seo_title": Kind.OBJECT,
    "seo_description": Kind.OBJECT,
    "collection_ids": Kind.OBJECT,
    "related_product_ids": Kind.OBJECT,
    "description": Kind.OBJECT,
    "card_image_url": Kind.OBJECT,
    "slug": Kind.OBJECT,
    "product_prices": Kind.OBJECT,
}

COURSES = {
    "name": Kind.OBJECT,
    "slug": Kind.OBJECT,
    "subtitle": Kind.OBJECT,
    "product_id": Kind.INT,
    "description": Kind.OBJECT,
    "course_card_text": Kind.OBJECT,
    "intro_video_youtube": Kind.OBJECT,
    "contact_information": Kind.OBJECT,
    "keywords": Kind.OBJECT,
    "duration": Kind.OBJECT,
    "banner_image_url": Kind.OBJECT,
    "course_card_image_url": Kind.OBJECT,
    "intro_video_wistia_identifier": Kind.OBJECT,
    "administrator_user_ids": Kind.OBJECT,
    "chapter_ids": Kind.OBJECT,
    "reviews_enabled": Kind.BOOL,
    "user_id": Kind.OBJECT,
    "instructor_id": Kind.OBJECT,
}

BUNDLES = {
    "name": Kind.OBJECT,
    "description": Kind.OBJECT,
    "course_ids": Kind.OBJECT,
    "tagline": Kind.OBJECT,
    "banner_image_url": Kind.OBJECT,
    "bundle_card_image_url": Kind.OBJECT,
}

ENROLLMENTS = {
    "user_id": Kind.INT,
    "course_id": Kind.INT,
    "created_at": Kind.TIMESTAMP,
    "updated_at": Kind.TIMESTAMP,
    "started_at": Kind.TIMESTAMP,
    "activated_at": Kind.TIMESTAMP,  # null means a free trial
    "completed_at": Kind.TIMESTAMP,  # set means completed
    "expiry_date": Kind.TIMESTAMP,
    "percentage_completed": Kind.FLOAT,
}

ORDERS = {
    "created_at": Kind.TIMESTAMP,
    "spaced_created_key": Kind.BOOL,  # rendered as "created at" (the spec's spelling)
    "user_id": Kind.INT,
    "product_id": Kind.INT,
    "amount_cents": Kind.INT,
    "subscription": Kind.BOOL,
    "coupon_code": Kind.OBJECT,
    "coupon_id": Kind.OBJECT,
    "affiliate_referral_code": Kind.OBJECT,
    "status": Kind.OBJECT,
}

QUIZZES = {
    "course_id": Kind.INT,
    "name": Kind.OBJECT,
    "passing_score": Kind.OBJECT,  # a percentage, or None when any score passes
}

CERTIFICATES = {
    "user_id": Kind.INT,
    "course_id": Kind.INT,
    "credential_id": Kind.OBJECT,
    "issued_at": Kind.TIMESTAMP,
    "expiry_date": Kind.TIMESTAMP,
    "pdf_download_path": Kind.OBJECT,
}
"""Served only by GraphQL (REST has no certificates), like quizzes and their submissions."""

QUIZ_SUBMISSIONS = {
    "quiz_id": Kind.INT,
    "user_id": Kind.INT,
    "attempts": Kind.INT,
    "correct_count": Kind.INT,
    "incorrect_count": Kind.INT,
    "passed": Kind.BOOL,
    "created_at": Kind.TIMESTAMP,
    "completed_at": Kind.TIMESTAMP,
}
