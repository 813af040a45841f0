"""Secrets never leave through the redactor: plain, URL-encoded, inside formatted log lines."""

import logging

from resources.redaction import REDACTED, RedactingLogger, Redactor, redact_third_party_logs


def test_a_secret_is_replaced_wherever_it_appears():
    redact = Redactor(["s3cret-key"])
    assert redact("key=s3cret-key and again s3cret-key") == f"key={REDACTED} and again {REDACTED}"


def test_url_encoded_forms_are_replaced_too():
    redact = Redactor(["a/b+c d"])
    assert redact("?k=a%2Fb%2Bc%20d&q=a%2Fb%2Bc+d") == f"?k={REDACTED}&q={REDACTED}"


def test_a_secret_containing_another_is_replaced_whole():
    redact = Redactor(["abc", "abcdef"])
    assert redact("abcdef") == REDACTED


def test_missing_secrets_are_ignored_and_text_is_untouched():
    redact = Redactor([None, ""])
    assert redact("nothing to hide") == "nothing to hide"


def test_the_logger_redacts_formatted_arguments(caplog):
    log = RedactingLogger(logging.getLogger("tests.redaction"), Redactor(["tok-123"]))
    with caplog.at_level(logging.INFO, logger="tests.redaction"):
        log.info("sent %s to %s", "tok-123", "/users")
    assert caplog.messages == [f"sent {REDACTED} to /users"]


def test_the_logger_respects_the_level(caplog):
    log = RedactingLogger(logging.getLogger("tests.redaction"), Redactor(["tok-123"]))
    with caplog.at_level(logging.WARNING, logger="tests.redaction"):
        log.info("hidden")
    assert caplog.messages == []


def test_urllib3_log_records_are_redacted_once_registered(caplog):
    redact_third_party_logs(["urllib3-secret"])
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        logging.getLogger("urllib3.connectionpool").debug(
            '"GET /%s/users HTTP/1.1"', "urllib3-secret"
        )
    assert caplog.messages == [f'"GET /{REDACTED}/users HTTP/1.1"']
