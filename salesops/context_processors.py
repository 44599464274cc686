from django.conf import settings


def organisation(request):
    return {
        "organisation_name": settings.SALESOPS_ORGANISATION_NAME,
        "currency": settings.SALESOPS_CURRENCY,
    }
