"""Append-only history rows (contact, invoice, dispute, provider and recommendation events): written once by
services, never changed; and the one way a change's before and after are written down."""

from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kernel.errors import ImmutableObject

APPEND_ONLY = _("History is append-only: an entry is never changed or removed.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableObject(APPEND_ONLY)

    def delete(self):
        raise ImmutableObject(APPEND_ONLY)


class AppendOnlyModel(models.Model):
    """Rows may be created, never updated or deleted through the ORM (the database keeps them with their parent)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableObject(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableObject(APPEND_ONLY)


class Via(models.TextChoices):
    """Through which interface a change was made: the one vocabulary of every history (contacts, invoices, runs,
    disputes, reference data)."""

    API = "api", _("API")
    BULK = "bulk", _("Bulk API")
    CSV = "csv", _("CSV upload")
    ADMIN = "admin", _("Admin")
    RUN = "run", _("Invoice run")
    SCHEDULE = "schedule", _("Schedule")
    SYSTEM = "system", _("System (command or scheduled job)")


class ChangeEvent(AppendOnlyModel):
    """One change to an aggregate: what was done, when, by whom, through which interface, and each changed
    field's value before and after (``{"field": [before, after]}``, JSON values)."""

    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True


def changes_between(before: Mapping[str, object] | None, after: Mapping[str, object] | None) -> dict[str, list]:
    """``{"field": [before, after]}`` for every field whose value differs (a missing side counts as None)."""
    before, after = before or {}, after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def actor_or_none(user):
    """The user to record as actor: None for a system change or an anonymous request."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None
