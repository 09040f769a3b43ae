"""Django field validators wrapping the pure identifier checks."""

from django.core.exceptions import ValidationError

from regions import identifiers


def validate_org_number(value: str) -> None:
    try:
        identifiers.normalize_org_number(value)
    except identifiers.IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_org_number") from None


def validate_hsa_id(value: str) -> None:
    try:
        identifiers.normalize_hsa_id(value)
    except identifiers.IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_hsa_id") from None


def validate_lan_code(value: str) -> None:
    try:
        identifiers.validate_lan_code(value)
    except identifiers.IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_lan_code") from None


def validate_bankgiro(value: str) -> None:
    try:
        identifiers.normalize_bankgiro(value)
    except identifiers.IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_bankgiro") from None


def validate_postal_code(value: str) -> None:
    try:
        identifiers.normalize_postal_code(value)
    except identifiers.IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_postal_code") from None
