import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from contacts.retention import retention_cutoff
from disputes.retention import COUNTS, personal_data_due, personal_data_pseudonymise
from kernel.business_time import stockholm_today


class Command(BaseCommand):
    help = (
        "Pseudonymise the personal identity numbers past the retention period (PERSONAL_DATA_RETENTION_YEARS), as "
        "the nightly task does; --dry-run counts what it would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what is due; change nothing.")
        parser.add_argument(
            "--before",
            help="The cut-off date (YYYY-MM-DD), no later than the setting's; by default the setting's (1 January of "
            "the year PERSONAL_DATA_RETENTION_YEARS back).",
        )

    def handle(self, *args, dry_run: bool, before: str | None, **options):
        earliest_allowed = retention_cutoff(today=stockholm_today())
        cutoff = earliest_allowed
        if before:
            try:
                cutoff = dt.date.fromisoformat(before)
            except ValueError:
                raise CommandError(f"--before must be a date YYYY-MM-DD, got {before!r}") from None
            if cutoff > earliest_allowed:
                raise CommandError(
                    f"--before {cutoff} is inside the retention period: at most {earliest_allowed.isoformat()}."
                )
        counts = personal_data_due(before=cutoff) if dry_run else personal_data_pseudonymise(before=cutoff)
        heading = "Would pseudonymise (dry run)" if dry_run else "Pseudonymised"
        self.stdout.write(f"{heading}, cut-off {cutoff.isoformat()}:")
        for name in COUNTS:
            self.stdout.write(f"  {name}: {counts[name]}")
