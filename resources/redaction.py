"""Keeps credentials out of every text the Thinkific client produces: log lines and error messages.

The client formats each log line and exception message itself and passes it through a `Redactor`
before it leaves, so a secret cannot slip out through an interpolated URL, header dump or wrapped
`requests` exception text. urllib3 writes log lines of its own (request paths, retry causes);
`redact_third_party_logs` filters those.
"""

import logging
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"


class Redactor:
    """Replaces every occurrence of the given secrets (also URL-encoded) with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        # Longest first, so a secret that contains another one is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text


class RedactingLogger(logging.LoggerAdapter):
    """A logger adapter that formats each message itself and redacts it before logging."""

    def __init__(self, logger: logging.Logger, redact: Redactor) -> None:
        super().__init__(logger, {})
        self._redact = redact

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            self.logger.log(level, self._redact(text), **kwargs)


URLLIB3_LOGGERS = (
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)
"""The loggers urllib3 writes to; a logger's filters see only records logged to it directly."""


class _SecretsFilter(logging.Filter):
    """Redacts every secret registered so far from the records of the loggers it is added to."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._redact = Redactor(())

    def register(self, secrets: Iterable[str | None]) -> None:
        with self._lock:
            known = self._secrets | {secret for secret in secrets if secret}
            if known != self._secrets:
                self._secrets, self._redact = known, Redactor(known)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_urllib3_filter = _SecretsFilter()


def redact_third_party_logs(secrets: Iterable[str | None]) -> None:
    """Redact `secrets` from urllib3's log records too, for as long as the process runs."""
    _urllib3_filter.register(secrets)
    for name in URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _urllib3_filter not in logger.filters:
            logger.addFilter(_urllib3_filter)
