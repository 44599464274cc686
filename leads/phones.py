"""Phone numbers and tax ids in one spelling, so that duplicates are found (SPEC §6.3).

``8 916 123-45-67``, ``+7 (916) 123 45 67`` and ``9161234567`` are one number: each is read
with the organisation's default region (RU) and kept in E.164.
"""

import phonenumbers
from django.core.exceptions import ValidationError

DEFAULT_REGION = "RU"


def phone_normalise(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of ``raw``; ``""`` for an empty value; ValidationError if not a phone.

    >>> phone_normalise("8 916 123-45-67")
    '+79161234567'
    >>> phone_normalise("+7 (916) 123 45 67")
    '+79161234567'
    >>> phone_normalise("9161234567")
    '+79161234567'
    """
    text = (raw or "").strip()
    if not text:
        return ""
    # Russian habit: a leading 8 is the trunk prefix of +7; phonenumbers knows it for RU.
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(f"not a phone number: {raw!r}") from error
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(f"not a phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def tax_id_normalise(raw: str) -> str:
    """Digits only: an INN is 10 (company) or 12 (person) digits.

    >>> tax_id_normalise(" 7707 083893 ")
    '7707083893'
    """
    digits = "".join(ch for ch in (raw or "") if ch.isdigit())
    if digits and len(digits) not in (10, 12):
        raise ValidationError(f"a tax id has 10 or 12 digits: {raw!r}")
    return digits
