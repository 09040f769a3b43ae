import os

from django.core.management.base import BaseCommand

from regions.demo import DEMO_USERS, demo_data_load

DEFAULT_DEMO_PASSWORD = "utomlans-demo-2026"


class Command(BaseCommand):
    help = "Create demo providers and users (idempotent). Never run against production data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),
            help="Password of newly created demo users (default: $DEMO_PASSWORD or a fixed demo password).",
        )

    def handle(self, *args, password, **options):
        report = demo_data_load(password=password)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({len(report.created)} new objects)."))
        self.stdout.write(f"Demo logins (password: {password}):")
        for username, role, region_code, *_names in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.label} {'region ' + region_code if region_code else 'national'}")
