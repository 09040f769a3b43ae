import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from billing.reports.refresh import summaries_refresh
from kernel.business_time import parse_period


class Command(BaseCommand):
    help = "Rebuild the report rollups from the contacts: all months, or from --since YYYY-MM."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="First month to rebuild (YYYY-MM); all months when left out.")

    def handle(self, *args, since: str | None, **options):
        first = None
        if since:
            try:
                first = dt.date(*parse_period(since), 1)
            except ValueError as error:
                raise CommandError(str(error)) from None
        state = summaries_refresh(since=first)
        self.stdout.write(f"{state.summary_rows} rollup rows in {state.seconds} s")
