"""The Thinkific tables' columns: one pandera model per stream (the registry is `streams`).

The models are the single source of every column name and type (API field names in snake_case;
the warehouse derives its DDL from them). Any field may be null in the API: only keys and the
columns the data model cannot do without are non-nullable. Array fields are JSON text. Timestamps
are tz-aware UTC. Each column's description is the data dictionary's entry for it
(`docs/data-dictionary.md`, and the column schema in the Dagster UI), taken from the API contract;
what the contract does not say is said to be Thinkific's, as it gives it. Field helpers and the
record-reading rules are in `schemas.tables`.
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
    id: Integer = key("The user's Thinkific id.")
    created_at: Timestamp = optional("When the user's account was created (UTC).")
    first_name: Text = optional("First name, as in the user's Thinkific profile.")
    last_name: Text = optional("Last name, as in the user's Thinkific profile.")
    full_name: Text = optional(
        "First and last name in one string; for a user changed by a webhook event, the first "
        "and last names joined by a space."
    )
    company: Text = optional("Company, as in the user's profile; may be empty text.")
    email: Text = required("The user's email address, as Thinkific stores it.")
    roles: Text = json_array(
        "JSON array of the user's site roles, each one of affiliate, course_admin, "
        "group_analyst, site_admin; [] when the user has none (a student)."
    )
    avatar_url: Text = optional("URL of the user's profile picture.")
    bio: Text = optional("Biography, as in the user's profile.")
    headline: Text = optional("Headline, as in the user's profile.")
    affiliate_code: Text = optional(
        "The user's affiliate code (orders they referred carry it as affiliate_referral_code)."
    )
    external_source: Text = optional(
        "Free text naming the system that created the user through the API, as it set it."
    )
    affiliate_commission: Number = optional(
        "The affiliate's commission: a percentage or an amount, as affiliate_commission_type says."
    )
    affiliate_commission_type: Text = optional(
        "% (affiliate_commission is a percentage of the sale) or $ (an amount per sale)."
    )
    affiliate_payout_email: Text = optional("Email address the affiliate is paid at.")
    administered_course_ids: Text = json_array(
        "JSON array of the ids of the courses the user administers (thinkific_courses.id); "
        "[] when none."
    )
    custom_profile_fields: Text = json_array(
        "JSON array of the user's custom profile field values, each an object with id, label, "
        "value and custom_profile_field_definition_id; [] when none."
    )


class Group(ThinkificModel):
    id: Integer = key("The group's Thinkific id.")
    name: Text = required(
        "The group's name (a group matching upload names a group by it, in any case)."
    )
    token: Text = optional("The group's 8-character token in Thinkific.")
    created_at: Timestamp = optional("When the group was created (UTC).")


class GroupMembership(ThinkificModel):
    group_id: Integer = key("The group (thinkific_groups.id).")
    user_id: Integer = key(
        "A member of the group (thinkific_users.id). Thinkific records no time of joining."
    )


class GroupAnalyst(ThinkificModel):
    group_id: Integer = key("The group analysed (thinkific_groups.id).")
    user_id: Integer = key(
        "A user analysing the group (thinkific_users.id; holds the group_analyst role). Group "
        "matching makes them managers of the group's dashboard teams."
    )


class Product(ThinkificModel):
    id: Integer = key(
        "The product's Thinkific id: what is sold and enrolled in, a course or a bundle. Seats "
        "are bought per product."
    )
    created_at: Timestamp = optional("When the product was created (UTC).")
    productable_id: Integer = optional(
        "The course or bundle the product sells: thinkific_courses.id or thinkific_bundles.id, "
        "as productable_type says."
    )
    productable_type: Text = optional("Course or Bundle: what productable_id is the id of.")
    price: Number = optional(
        "The product's price, as Thinkific gives it, in the site's currency (product_prices "
        "lists every price option)."
    )
    position: Integer = optional("The product's position in Thinkific's ordering of products.")
    status: Text = optional("published or draft.")
    name: Text = optional(
        "The product's name (seat allocation uploads and user uploads name a product by it, in "
        "any case)."
    )
    private: Flag = optional("True when the product is private, as set in Thinkific.")
    hidden: Flag = optional("True when the product is hidden, as set in Thinkific.")
    subscription: Flag = optional("True when the product is sold as a subscription.")
    days_until_expiry: Integer = optional(
        "Days an enrollment in the product lasts, as set in Thinkific; null when not set."
    )
    has_certificate: Flag = optional("True when the product awards a certificate.")
    keywords: Text = optional("Search keywords, as entered in Thinkific.")
    seo_title: Text = optional("Page title for search engines, as entered in Thinkific.")
    seo_description: Text = optional("Page description for search engines.")
    collection_ids: Text = json_array(
        "JSON array of the ids of the collections (categories) the product is in; [] when none."
    )
    related_product_ids: Text = json_array(
        "JSON array of the ids of the products shown as related (thinkific_products.id)."
    )
    description: Text = optional("The product's description, as entered in Thinkific.")
    card_image_url: Text = optional("URL of the product's card image.")
    slug: Text = optional("The product's slug: its name in the site's URLs.")
    product_prices: Text = json_array(
        "JSON array of the product's price options, each an object with id, is_primary, "
        "payment_type (free, one-time, subscription or payment-plan), label, price (text), "
        "currency, days_until_expiry, interval, interval_count and more."
    )


class Course(ThinkificModel):
    id: Integer = key("The course's Thinkific id.")
    name: Text = optional("The course's name.")
    slug: Text = optional("The course's slug: its name in the site's URLs.")
    subtitle: Text = optional("The course's subtitle.")
    product_id: Integer = optional("The product that sells the course (thinkific_products.id).")
    description: Text = optional("The course's description, as entered in Thinkific.")
    course_card_text: Text = optional("The text of the course's card.")
    intro_video_youtube: Text = optional("YouTube identifier of the course's intro video.")
    contact_information: Text = optional("Contact information, as entered for the course.")
    keywords: Text = optional("Search keywords, as entered in Thinkific.")
    duration: Text = optional(
        "The course's duration, as entered in Thinkific: free text, its unit not stated."
    )
    banner_image_url: Text = optional("URL of the course's banner image.")
    course_card_image_url: Text = optional("URL of the course's card image.")
    intro_video_wistia_identifier: Text = optional("Wistia identifier of the course's intro video.")
    administrator_user_ids: Text = json_array(
        "JSON array of the ids of the users administering the course (thinkific_users.id)."
    )
    chapter_ids: Text = json_array("JSON array of the ids of the course's chapters.")
    reviews_enabled: Flag = optional("True when learners may review the course.")
    user_id: Integer = optional(
        "A user Thinkific gives with the course (thinkific_users.id); the API does not say "
        "what the user is to the course."
    )
    instructor_id: Integer = optional(
        "The course's instructor: a Thinkific instructor id, not a user id."
    )


class Bundle(ThinkificModel):
    id: Integer = key(
        "The bundle's Thinkific id (the productable_id of the product that sells it)."
    )
    name: Text = optional("The bundle's name.")
    description: Text = optional("The bundle's description, as entered in Thinkific.")
    tagline: Text = optional("The bundle's tagline.")
    banner_image_url: Text = optional("URL of the bundle's banner image.")
    bundle_card_image_url: Text = optional("URL of the bundle's card image.")
    course_ids: Text = json_array(
        "JSON array of the ids of the courses in the bundle (thinkific_courses.id), one row "
        "each in thinkific_bundle_courses."
    )


class BundleCourse(ThinkificModel):
    bundle_id: Integer = key("The bundle (thinkific_bundles.id).")
    course_id: Integer = key("A course in the bundle (thinkific_courses.id).")


class Enrollment(ThinkificModel):
    """An enrollment from REST, or the payload of an `enrollment.*` webhook."""

    id: Integer = key(
        "The enrollment's Thinkific id. Thinkific allows one enrollment per user per course."
    )
    user_email: Text = optional("The learner's email address.", "user.email")
    user_name: Text = optional("The learner's name, first and last in one string.")
    user_id: Integer = required("The learner (thinkific_users.id).", "user.id")
    course_name: Text = optional("The course's name.", "course.name")
    course_id: Integer = required("The course enrolled in (thinkific_courses.id).", "course.id")
    percentage_completed: Number = fraction_or_percent_string(
        "How much of the course the learner has completed, as a fraction from 0 to 1 (0.24 is "
        "24 %; webhooks' percentages are converted)."
    )
    expired: Flag = optional(
        "True once the enrollment has expired (its access ended). Thinkific changes it without "
        "changing updated_at, so a nightly incremental run may miss it until the weekly full read."
    )
    is_free_trial: Flag = optional(
        "True for a free-trial enrollment. Free trials use no seat and are left out of the "
        "Teams tab's enrollment counts.",
        "free_trial",
    )
    completed: Flag = optional("True once the learner has completed the course.")
    started_at: Timestamp = optional("When the enrollment started (UTC).")
    activated_at: Timestamp = optional(
        "When the enrollment was activated (UTC); Thinkific creates an enrollment without one "
        "as a free trial."
    )
    completed_at: Timestamp = optional(
        "When the learner completed the course (UTC); null until then."
    )
    updated_at: Timestamp = optional(
        "When Thinkific last changed the enrollment (UTC): the incremental sync reads the "
        "enrollments changed on or after the day of the highest one loaded."
    )
    expiry_date: Timestamp = optional(
        "When the enrollment's access ends (UTC); null: it does not expire. Thinkific has no "
        "deletion of enrollments: one is ended by setting its expiry date."
    )
    created_at: Timestamp = optional("When the enrollment was created (UTC).")


class Order(ThinkificModel):
    """An order from REST, or the payload of an `order.created` webhook."""

    id: Integer = key("The order's Thinkific id.")
    created_at: Timestamp = optional("When the order was placed (UTC).", "created at")
    user_id: Integer = optional("The buyer (thinkific_users.id).", "user.id")
    user_email: Text = optional("The buyer's email address.", "user.email")
    user_name: Text = optional("The buyer's name, first and last in one string.")
    billing_name: Text = optional("The name the order was billed to.")
    order_number: Integer = optional("The order's number as Thinkific numbers orders (not its id).")
    product_id: Integer = optional(
        "The product bought (thinkific_products.id); items lists every product of the order."
    )
    product_name: Text = optional("The name of the product bought.")
    amount_dollars: Number = optional(
        "The order's amount in dollars (whole units of the site's currency): amount_cents / 100."
    )
    amount_cents: Integer = optional("The order's amount in cents: amount_dollars * 100.")
    payment_type: Text = optional("How the order is paid, as Thinkific names it (one-time, ...).")
    subscription: Flag = optional("True when the order is for a subscription.")
    coupon_code: Text = optional("The code of the coupon used; null when none.", "coupon.code")
    coupon_id: Integer = optional(
        "The Thinkific id of the coupon used; null when none.", "coupon.id"
    )
    affiliate_referral_code: Text = optional(
        "The affiliate code of the referral (thinkific_users.affiliate_code); null when none."
    )
    status: Text = optional(
        "The order's status as Thinkific gives it: REST spells it in lower case (complete), "
        "webhooks capitalised (Complete)."
    )
    items: Text = json_array(
        "JSON array of the order's items, each an object with product_id, product_name, "
        "amount_dollars and amount_cents."
    )


class Certificate(ThinkificModel):
    """A certificate from GraphQL (`Certificate`): camelCase fields and nested `user`/`course`
    objects are read into snake_case columns. GraphQL ids are strings of the REST ids' digits."""

    id: Integer = key("The certificate's Thinkific id.")
    credential_id: Text = optional("The certificate's credential id.", "credentialId")
    issued_at: Timestamp = optional("When the certificate was issued (UTC).", "issuedAt")
    expiry_date: Timestamp = optional(
        "When the certificate expires (UTC); null when it has no expiry.", "expiryDate"
    )
    pdf_download_path: Text = optional(
        "Path of the certificate's PDF on the site.", "pdfDownloadPath"
    )
    user_id: Integer = required("The user awarded the certificate (thinkific_users.id).", "user.id")
    user_email: Text = optional("The user's email address.", "user.email")
    user_first_name: Text = optional("The user's first name.", "user.firstName")
    user_last_name: Text = optional("The user's last name.", "user.lastName")
    course_id: Integer = required("The course completed (thinkific_courses.id).", "course.id")
    course_name: Text = optional("The course's name.", "course.name")


class QuizResult(ThinkificModel):
    """A quiz submission from GraphQL (`QuizSubmission`), one row per submission."""

    id: Integer = key(
        "The quiz submission's Thinkific id (result_id in quiz.attempted webhook events)."
    )
    attempts: Integer = optional(
        "Attempts at the quiz, as Thinkific counts them for the submission."
    )
    correct_count: Integer = optional("Questions answered correctly.", "correctCount")
    incorrect_count: Integer = optional("Questions answered incorrectly.", "incorrectCount")
    passed: Flag = optional(
        "True when the submission passed: correct answers at least quiz_passing_score percent "
        "of those answered."
    )
    completed_at: Timestamp = optional(
        "When the submission was completed (UTC); from a webhook event, the event's time.",
        "completedAt",
    )
    created_at: Timestamp = optional("When the submission was created (UTC).", "createdAt")
    quiz_id: Integer = required("The quiz's Thinkific id.", "quiz.id")
    quiz_name: Text = optional("The quiz's name.", "quiz.name")
    quiz_passing_score: Integer = optional(
        "The quiz's passing score, in percent of the questions answered.", "quiz.passingScore"
    )
    user_id: Integer = required("The learner (thinkific_users.id).", "user.id")
    user_email: Text = optional("The learner's email address.", "user.email")
