"""The compensation engine: gather a month's figures set-based, turn them into payout lines.

``plans`` finds the plan version that applies, ``facts`` runs one aggregate query per kind of
source over the month, ``components`` turns figures into lines (pure, Decimal), and
``adjustments`` re-reads locked months to move late changes into the next open month.
"""
