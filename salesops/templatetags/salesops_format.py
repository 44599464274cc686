"""``{% load salesops_format %}``: ``{{ amount|money }}`` and ``{{ month|month_name }}`` in the
active language, with the organisation's currency unless one is given (``{{ x|money:"USD" }}``)."""

from django import template

from salesops.formatting import format_money, format_month

register = template.Library()


@register.filter
def money(amount, currency=None):
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency or None)


@register.filter
def month_name(month):
    if not month:
        return ""
    return format_month(month)


@register.filter
def http_link(url):
    """``url`` when it is an http(s) address, else "": only such a link is ever rendered (a
    stored ``javascript:`` address from before imports refused them is shown as nothing)."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""
