"""Referral submissions are throttled per address and per partner (issue 20): a count per hour
in the cache, the first hit of an hour starting its window."""

from django.conf import settings
from django.core.cache import cache

HOUR = 3600


def _hit(key: str, limit: int) -> bool:
    """Count one hit on ``key``; False once it is over ``limit`` this hour."""
    cache.add(key, 0, HOUR)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, HOUR)
        count = 1
    return count <= limit


def referral_allowed(*, address: str, partner_id: int) -> bool:
    by_address = _hit(f"referral:address:{address}",
                      settings.SALESOPS_REFERRALS_PER_ADDRESS_HOUR)
    by_partner = _hit(f"referral:partner:{partner_id}",
                      settings.SALESOPS_REFERRALS_PER_PARTNER_HOUR)
    return by_address and by_partner


def client_address(request) -> str:
    # The address Django sees: behind a proxy, the deployment sets REMOTE_ADDR from it
    # (SALESOPS_TRUSTED_PROXY_COUNT, as for the login throttling).
    return request.META.get("REMOTE_ADDR", "")


def body_too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.SALESOPS_REFERRAL_MAX_BODY
