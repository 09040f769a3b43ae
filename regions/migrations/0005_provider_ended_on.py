"""A provider's ``active`` flag gets a date: ``ended_on``, the last day its contract covers.

Providers already inactive get the Stockholm date of their deactivation as the provider history records it (the
latest event that set ``active`` to false, or their creation as inactive), else the date of this migration. Each
such change is recorded in the provider's history, as every later change is.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models
from django.utils import translation
from django.utils.translation import gettext

STOCKHOLM = ZoneInfo("Europe/Stockholm")
VIA_CHOICES = [
    ("api", "API"),
    ("bulk", "Bulk API"),
    ("csv", "CSV upload"),
    ("admin", "Admin"),
    ("run", "Invoice run"),
    ("schedule", "Schedule"),
    ("system", "System (command or scheduled job)"),
]


def _deactivated_on(events) -> dt.date | None:
    """The Stockholm date of the latest event that made the provider inactive, if the history has one."""
    for event in events:  # newest first
        active = (event.changes or {}).get("active")
        if isinstance(active, list) and len(active) == 2 and active[1] is False:
            return event.at.astimezone(STOCKHOLM).date()
    return None


def set_ended_on(apps, schema_editor):
    Provider = apps.get_model("regions", "Provider")
    ProviderEvent = apps.get_model("regions", "ProviderEvent")
    now = dt.datetime.now(tz=dt.UTC)
    today = now.astimezone(STOCKHOLM).date()
    with translation.override(settings.LANGUAGE_CODE):  # a note kept for every reader: in the product's language
        from_history = gettext("End date set from the deactivation in the provider's history.")
        no_history = gettext("End date set when end dates were introduced: the history has no deactivation.")
    for provider in Provider.objects.filter(active=False, ended_on__isnull=True):
        events = ProviderEvent.objects.filter(provider=provider).order_by("-at", "-id")
        found = _deactivated_on(events)
        ended_on = found or today
        Provider.objects.filter(pk=provider.pk).update(ended_on=ended_on)
        ProviderEvent.objects.create(
            provider=provider,
            at=now,
            action="changed",
            via="system",
            changes={"ended_on": [None, ended_on.isoformat()]},
            note=from_history if found else no_history,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0004_reference_data_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="provider",
            name="ended_on",
            field=models.DateField(
                blank=True,
                help_text=(
                    "The last day the provider's contract covers: contacts dated after it (Stockholm time) are "
                    "refused, those on or before it are still accepted. Set when the provider is made inactive "
                    "(today if left empty); cleared when it is made active again."
                ),
                null=True,
                verbose_name="last day of the contract",
            ),
        ),
        migrations.RunPython(set_ended_on, migrations.RunPython.noop),
        # One vocabulary of interfaces for every history (kernel.history.Via).
        migrations.AlterField(
            model_name="providerevent",
            name="via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="via"),
        ),
        migrations.AlterField(
            model_name="recommendationevent",
            name="via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="via"),
        ),
    ]
