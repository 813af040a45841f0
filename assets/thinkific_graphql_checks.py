"""Checks on the GraphQL tables: unique keys, and users and courses that the REST tables know."""

from assets.thinkific_checks import primary_key_check, reference_check

thinkific_graphql_checks = [
    primary_key_check("certificates"),
    primary_key_check("quiz_results"),
    reference_check("certificates", "user_id", "users"),
    reference_check("certificates", "course_id", "courses"),
    reference_check("quiz_results", "user_id", "users"),
]
