"""Tokens: size, shape, hashing and comparison (expected values computed with hashlib directly)."""

import base64
import hashlib

from collective_impact.tokens import looks_like_token, new_token, same_token, token_hash


def test_token_carries_at_least_128_bits_and_is_url_safe():
    token = new_token()
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    assert looks_like_token(token)
    assert len({new_token() for _ in range(200)}) == 200


def test_hash_is_sha256_and_comparison_accepts_only_the_same_token():
    token = new_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert same_token(token, hashlib.sha256(token.encode()).hexdigest())
    other = new_token()
    assert not same_token(other, token_hash(token))


def test_shapes_that_are_not_tokens():
    for text in ["", "abc", "a" * 42, "a" * 44, "../../etc/passwd", None, 12, "é" * 43, "a" * 42 + "="]:
        assert not looks_like_token(text)
