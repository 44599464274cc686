"""What a manager earned in a month, and why (issue 10): the read models behind the earnings
pages, their API and the statements. Everything here reads stored figures — payout lines and
their items, the run member's gathered figures, the daily per-manager statistics — never the
month's raw calls; only a drill-down lists calls, a page at a time.
"""
