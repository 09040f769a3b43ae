import os
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand

from regions.demo import DEMO_USERS

DEFAULT_DEMO_PASSWORD = "utomlans-demo-2026"


class Command(BaseCommand):
    help = "Create demo data (idempotent): every app's demo module, in INSTALLED_APPS order. Never in production."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),
            help="Password of newly created demo users (default: $DEMO_PASSWORD or a fixed demo password).",
        )

    def handle(self, *args, password, **options):
        # Each app that has a ``demo`` module with ``demo_load(password=...)`` adds its part, later apps
        # building on earlier ones (regions: providers and users; contacts: contacts; ...).
        created = []
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            report = import_module(module_name).demo_load(password=password)
            created.extend(report.created)
        for line in created:
            self.stdout.write(f"  + {line}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({len(created)} new items)."))
        self.stdout.write(f"Demo logins (password: {password}):")
        for username, role, region_code, *_names in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.label} {'region ' + region_code if region_code else 'national'}")
