"""Append-only history rows (contact, invoice and dispute events): written once by services, never changed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from config.errors import ImmutableObject

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
