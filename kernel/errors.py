"""Domain errors raised by services; the API and the admin turn them into the documented answers."""


class DomainError(Exception):
    """Base class of every error a service raises on purpose."""


class InvalidInput(DomainError):
    """Input that breaks a rule; ``errors`` maps field names to messages (API: 400)."""

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"non_field_errors": [errors]}
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))


class StateConflict(DomainError):
    """The request conflicts with the object's current state (API: 409)."""


class ImmutableObject(StateConflict):
    """The object is published, approved or otherwise frozen; a correction is a new object."""


class NotAllowed(DomainError):
    """The user may see the object but may not do this to it (API: 403)."""
