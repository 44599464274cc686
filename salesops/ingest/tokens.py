"""Integration tokens: random, shown once, kept as SHA-256 (a 256-bit random token needs no
slow hash; the hash is the lookup key, so no token is ever compared character by character)."""

import hashlib
import secrets

PREFIX = "sok_"


def token_new() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
