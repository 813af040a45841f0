"""Checks on the GraphQL tables: users and courses that the REST tables know (the primary-key
checks run in the GraphQL step itself, see `assets.thinkific.checks`)."""

from assets.thinkific.checks import reference_check

thinkific_graphql_checks = [
    reference_check("certificates", "user_id", "users"),
    reference_check("certificates", "course_id", "courses"),
    reference_check("quiz_results", "user_id", "users"),
]
