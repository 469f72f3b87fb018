"""Secret tokens: partners' personal links, the evaluator's credential, dashboard links.

A token is shown once (in a link, a file of invitations, the server's start message) and
never stored: the store keeps its SHA-256 hash only. A token carries 256 bits from
:mod:`secrets`, so a plain hash is enough (no password stretching is needed for random
secrets of that size), and it lets the server find a link by its hash with one indexed
lookup instead of comparing against every stored secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

__all__ = ["TOKEN_BYTES", "looks_like_token", "new_token", "same_token", "token_hash"]

#: 32 random bytes = 256 bits (the security requirement is at least 128).
TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """Return a new random token, safe to put in a URL."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(text: object) -> bool:
    """Whether ``text`` has the shape of a token (checked before any store is read)."""
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


def token_hash(token: str) -> str:
    """The hexadecimal SHA-256 of ``token``: what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(token: str, stored_hash: str) -> bool:
    """Whether ``token`` hashes to ``stored_hash``, in time independent of where they differ."""
    return hmac.compare_digest(token_hash(token).encode("ascii"), str(stored_hash).encode("ascii"))
