from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kernel.errors import InvalidInput
from regions.models import Role
from regions.services import api_client_create


class Command(BaseCommand):
    help = "Create an API client and print its key alone on the last line (the key is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name for the client, e.g. 'kry-journal'.")
        parser.add_argument("--role", required=True, choices=Role.values)
        organisation = parser.add_mutually_exclusive_group(required=True)
        organisation.add_argument("--region", metavar="CODE", help="Län code of the client's region, e.g. 04.")
        organisation.add_argument("--provider", metavar="HSA_ID", help="HSA-id of the client's provider.")

    def handle(self, *args, name, role, region, provider, **options):
        # Management commands run in the product's language (LANGUAGE_CODE, Swedish), as the admin speaks to its users.
        try:
            client, key = api_client_create(name=name, role=role, region_code=region, provider_hsa_id=provider)
        except InvalidInput as exc:
            messages = [message for field_messages in exc.errors.values() for message in field_messages]
            raise CommandError(" ".join(messages)) from None
        membership = client.user.membership
        # "Region Sörmland (04)", as the provider reads "Digitalläkaren AB (SE5561234005-DL01)".
        organisation = f"{membership.region.name} ({membership.region.code})" if membership.region else membership
        self.stdout.write(
            _("API client %(name)r created with the role %(role)s for %(organisation)s.")
            % {"name": client.name, "role": str(Role(role).label).lower(), "organisation": organisation}
        )
        self.stdout.write(_("Send the key as 'Authorization: Token <key>'. It is shown only this once:"))
        self.stdout.write(key)
