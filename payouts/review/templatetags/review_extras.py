from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (a person's figure by column), None when absent."""
    return mapping.get(key) if mapping else None
