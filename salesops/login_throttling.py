"""API Basic auth that tells a locked-out client it is locked out (django-axes does the rest).

django-axes counts wrong passwords through Django's ``authenticate`` on every door: the login
page, the admin login and DRF's Basic auth all call it with the request. The middleware turns a
lock-out into the lock-out page for the first two; DRF wraps the request, so without this class
a locked-out API client would only hear "invalid username/password" and keep guessing.
"""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import BasicScheme
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication


class LoginLockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _(
        "Too many wrong passwords in a row: this login is locked for a while. "
        "Try again later, or ask an administrator."
    )
    default_code = "login_locked_out"


class LockoutAwareBasicAuthentication(BasicAuthentication):
    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            # Set by axes on the request it was given, which here is DRF's wrapper.
            if request is not None and getattr(request, "axes_locked_out", False):
                raise LoginLockedOut() from None
            raise


class LockoutAwareBasicScheme(BasicScheme):
    """The schema describes it as plain HTTP Basic, which it is."""

    target_class = "salesops.login_throttling.LockoutAwareBasicAuthentication"


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (429) for the login form and the admin login (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request)
    return render(
        request, "registration/locked_out.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else 0,
        },
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
