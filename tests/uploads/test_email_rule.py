"""The email syntax rule of `schemas.uploads` (email-validator is not a dependency), through the
user model: addresses are trimmed and lower-cased, then checked."""

import pandas as pd
import pandera.errors
import pytest

from schemas.uploads import NOT_AN_EMAIL, UserCsvRow


def _email_problems(email: str) -> list[str]:
    row = pd.DataFrame(
        {"name": ["A B"], "email": [email], "team": ["T"], "role": [""], "products": [""]}
    )
    try:
        UserCsvRow.validate(row, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return errors.failure_cases["check"].tolist()
    return []


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com",
        " Ada.Lovelace@Example.COM ",
        "o'brien@example.ie",
        "a.b-c_d+tag@sub.example.io",
        "x@x.io",
        "ada@xn--bcher-kva.example",
        "!#$%&'*+/=?^_`{|}~-@example.com",
    ],
)
def test_valid_addresses_pass(email: str):
    assert _email_problems(email) == []


@pytest.mark.parametrize(
    "email",
    [
        "@example.com",
        "ada@",
        ".ada@example.com",
        "ada@-example.com",
        "ada@example-.com",
        "ada@example.c",
        "ada@.example.com",
        "ada@example..com",
        "ada@example.123",
        "ada@localhost",
        "ada@[192.168.0.1]",
        '"ada lovelace"@example.com',
        "adä@example.com",
        "ada@exämple.com",
    ],
)
def test_invalid_addresses_fail_with_the_syntax_problem(email: str):
    assert _email_problems(email) == [NOT_AN_EMAIL]
