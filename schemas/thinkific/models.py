"""The Thinkific tables' columns: one pandera model per stream (the registry is `streams`).

The models are the single source of every column name and type (API field names in snake_case;
the warehouse derives its DDL from them). Any field may be null in the API: only keys and the
columns the data model cannot do without are non-nullable. Array fields are JSON text. Timestamps
are tz-aware UTC. Field helpers and the record-reading rules are in `schemas.tables`.
"""

from typing import Annotated

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.tables import fraction_or_percent_string, json_array, key, optional, required

Integer = Series[pd.Int64Dtype]
Number = Series[pd.Float64Dtype]
Flag = Series[pd.BooleanDtype]
Text = Series[pd.StringDtype]
Timestamp = Series[Annotated[pd.DatetimeTZDtype, "ns", "UTC"]]


class ThinkificModel(pa.DataFrameModel):
    """Validation casts each column to its declared type and rejects columns not declared."""

    class Config:
        coerce = True
        strict = True


class User(ThinkificModel):
    id: Integer = key()
    created_at: Timestamp = optional()
    first_name: Text = optional()
    last_name: Text = optional()
    full_name: Text = optional()
    company: Text = optional()
    email: Text = required()
    roles: Text = json_array()
    avatar_url: Text = optional()
    bio: Text = optional()
    headline: Text = optional()
    affiliate_code: Text = optional()
    external_source: Text = optional()
    affiliate_commission: Number = optional()
    affiliate_commission_type: Text = optional()
    affiliate_payout_email: Text = optional()
    administered_course_ids: Text = json_array()
    custom_profile_fields: Text = json_array()


class Group(ThinkificModel):
    id: Integer = key()
    name: Text = required()
    token: Text = optional()
    created_at: Timestamp = optional()


class GroupMembership(ThinkificModel):
    group_id: Integer = key()
    user_id: Integer = key()


class GroupAnalyst(ThinkificModel):
    group_id: Integer = key()
    user_id: Integer = key()


class Product(ThinkificModel):
    id: Integer = key()
    created_at: Timestamp = optional()
    productable_id: Integer = optional()
    productable_type: Text = optional()
    price: Number = optional()
    position: Integer = optional()
    status: Text = optional()
    name: Text = optional()
    private: Flag = optional()
    hidden: Flag = optional()
    subscription: Flag = optional()
    days_until_expiry: Integer = optional()
    has_certificate: Flag = optional()
    keywords: Text = optional()
    seo_title: Text = optional()
    seo_description: Text = optional()
    collection_ids: Text = json_array()
    related_product_ids: Text = json_array()
    description: Text = optional()
    card_image_url: Text = optional()
    slug: Text = optional()
    product_prices: Text = json_array()


class Course(ThinkificModel):
    id: Integer = key()
    name: Text = optional()
    slug: Text = optional()
    subtitle: Text = optional()
    product_id: Integer = optional()
    description: Text = optional()
    course_card_text: Text = optional()
    intro_video_youtube: Text = optional()
    contact_information: Text = optional()
    keywords: Text = optional()
    duration: Text = optional()
    banner_image_url: Text = optional()
    course_card_image_url: Text = optional()
    intro_video_wistia_identifier: Text = optional()
    administrator_user_ids: Text = json_array()
    chapter_ids: Text = json_array()
    reviews_enabled: Flag = optional()
    user_id: Integer = optional()
    instructor_id: Integer = optional()


class Bundle(ThinkificModel):
    id: Integer = key()
    name: Text = optional()
    description: Text = optional()
    tagline: Text = optional()
    banner_image_url: Text = optional()
    bundle_card_image_url: Text = optional()
    course_ids: Text = json_array()


class BundleCourse(ThinkificModel):
    bundle_id: Integer = key()
    course_id: Integer = key()


class Enrollment(ThinkificModel):
    """An enrollment from REST, or the payload of an `enrollment.*` webhook."""

    id: Integer = key()
    user_email: Text = optional("user.email")
    user_name: Text = optional()
    user_id: Integer = required("user.id")
    course_name: Text = optional("course.name")
    course_id: Integer = required("course.id")
    percentage_completed: Number = fraction_or_percent_string()
    expired: Flag = optional()
    is_free_trial: Flag = optional("free_trial")
    completed: Flag = optional()
    started_at: Timestamp = optional()
    activated_at: Timestamp = optional()
    completed_at: Timestamp = optional()
    updated_at: Timestamp = optional()
    expiry_date: Timestamp = optional()
    created_at: Timestamp = optional()


class Order(ThinkificModel):
    """An order from REST, or the payload of an `order.created` webhook."""

    id: Integer = key()
    created_at: Timestamp = optional("created at")
    user_id: Integer = optional("user.id")
    user_email: Text = optional("user.email")
    user_name: Text = optional()
    billing_name: Text = optional()
    order_number: Integer = optional()
    product_id: Integer = optional()
    product_name: Text = optional()
    amount_dollars: Number = optional()
    amount_cents: Integer = optional()
    payment_type: Text = optional()
    subscription: Flag = optional()
    coupon_code: Text = optional("coupon.code")
    coupon_id: Integer = optional("coupon.id")
    affiliate_referral_code: Text = optional()
    status: Text = optional()
    items: Text = json_array()


class Certificate(ThinkificModel):
    """A certificate from GraphQL (`Certificate`): camelCase fields and nested `user`/`course`
    objects are read into snake_case columns. GraphQL ids are strings of the REST ids' digits."""

    id: Integer = key()
    credential_id: Text = optional("credentialId")
    issued_at: Timestamp = optional("issuedAt")
    expiry_date: Timestamp = optional("expiryDate")
    pdf_download_path: Text = optional("pdfDownloadPath")
    user_id: Integer = required("user.id")
    user_email: Text = optional("user.email")
    user_first_name: Text = optional("user.firstName")
    user_last_name: Text = optional("user.lastName")
    course_id: Integer = required("course.id")
    course_name: Text = optional("course.name")


class QuizResult(ThinkificModel):
    """A quiz submission from GraphQL (`QuizSubmission`), one row per submission."""

    id: Integer = key()
    attempts: Integer = optional()
    correct_count: Integer = optional("correctCount")
    incorrect_count: Integer = optional("incorrectCount")
    passed: Flag = optional()
    completed_at: Timestamp = optional("completedAt")
    created_at: Timestamp = optional("createdAt")
    quiz_id: Integer = required("quiz.id")
    quiz_name: Text = optional("quiz.name")
    quiz_passing_score: Integer = optional("quiz.passingScore")
    user_id: Integer = required("user.id")
    user_email: Text = optional("user.email")
