"""Writes on vendors: the vendor with its operators' team, operators, contracts, guests."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from salesops.inputs import audit_record
from salesops.models import Manager, Team
from salesops.services import manager_create

from .models import Vendor, VendorContract, VendorGuest

# Django's mark of a password nobody can log in with: operators have no login unless given.
NO_LOGIN = "!"


@transaction.atomic
def vendor_create(*, code: str, name: str, prepaid: bool = False, by=None,
                  low_balance_threshold=None, notify_email: str = "") -> Vendor:
    """A vendor and the team its operators' calls are matched to."""
    team = vendor_team_create(code=code, name=name)
    vendor = Vendor(code=code, name=name, team=team, prepaid=prepaid,
                    low_balance_threshold=low_balance_threshold, notify_email=notify_email)
    vendor.full_clean()
    vendor.save()
    audit_record(action="vendor_create", obj=vendor, by=by, before={},
                 after={"code": code, "prepaid": prepaid})
    return vendor


def vendor_team_create(*, code: str, name: str) -> Team:
    """The team a vendor's operators belong to (no plan pays it: the vendor is paid)."""
    return Team.objects.create(code=f"vendor-{code}"[:32], name=name)


def vendor_operator_create(*, vendor: Vendor, username: str, active_from: datetime.date,
                           first_name: str = "", last_name: str = "", extension: str = "",
                           telephony_login: str = "") -> Manager:
    """An operator: a person of the vendor's team, not staff (no plan pays them, no login)."""
    return manager_create(username=username, team=vendor.team, first_name=first_name,
                          last_name=last_name, password_hash=NO_LOGIN, extension=extension,
                          telephony_login=telephony_login, active_from=active_from)


@transaction.atomic
def vendor_contract_set(*, vendor: Vendor, plan, effective_from: datetime.date,
                        by=None) -> VendorContract:
    contract = VendorContract(vendor=vendor, plan=plan, effective_from=effective_from)
    contract.full_clean()
    contract.save()
    audit_record(action="vendor_contract_set", obj=contract, by=by, before={},
                 after={"plan": plan.code, "from": effective_from})
    return contract


@transaction.atomic
def vendor_guest_create(*, vendor: Vendor, username: str, password: str, by=None) -> VendorGuest:
    """A login for the vendor's client: only that vendor's sampled recordings and statements."""
    user = get_user_model()(username=username, is_staff=False)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    guest = VendorGuest.objects.create(user=user, vendor=vendor)
    audit_record(action="vendor_guest_create", obj=guest, by=by, before={},
                 after={"vendor": vendor.code, "login": username})
    return guest
