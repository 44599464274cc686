"""Compensation plans, payout runs and their lines (SPEC §4, §7); filled by the payouts work."""
