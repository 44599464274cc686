"""The partner portal (issue 20): partners who refer leads to us and partners we hand leads to.

Pages under ``/partner/``, the referral link ``/r/<code>/`` and the partner API
(``/api/partner/``) read through the one access policy (``salesops.policy``: a partner sees only
own rows); the figures of commission come from ``payouts.partners`` (SPEC §5), never a recount.
"""
