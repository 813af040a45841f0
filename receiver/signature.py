"""Thinkific's webhook signature: hex HMAC-SHA256 of the raw body, keyed with the API key (or an
OAuth app's client secret), in the `X-Thinkific-Hmac-Sha256` header."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Thinkific-Hmac-Sha256"


def signature_is_valid(body: bytes, signature: str | None, secret: str) -> bool:
    """True when `signature` is the body's signature; compared in constant time, so the time
    taken says nothing about how much of a forged signature was right."""
    if not signature:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("utf-8"))
