from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (a person's figure by column), None when absent."""
    return mapping.get(key) if mapping else None


@register.filter
def run_status(value):
    """A run's status as people read it ("Approved"), from its stored value ("approved")."""
    from payouts.models import PayoutRun

    return dict(PayoutRun.Status.choices).get(value, value)
