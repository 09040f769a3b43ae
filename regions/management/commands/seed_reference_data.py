from django.core.management.base import BaseCommand

from regions.seeding import reference_data_load


class Command(BaseCommand):
    help = "Load the regions, professions and SKR rate recommendations (idempotent)."

    def handle(self, *args, **options):
        report = reference_data_load()
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if report.created:
            self.stdout.write(f"Created: {', '.join(report.created)}")
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded ({len(report.created)} new rows)."))
