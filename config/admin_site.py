"""The admin site: Django's, with a start page that says what each person has to do (``start.page``), and the
rules every changelist follows (``config.admin_lists``: only declared filters, no identity number in an address)."""

from django.contrib import admin

from config.admin_lists import with_list_rules
from start.page import start_page


class UtomlansAdminSite(admin.AdminSite):
    index_template = "admin/start.html"
    # No "Visa sida" (View site) link in the header: the site is the admin itself (its root redirects here).
    site_url = None

    def index(self, request, extra_context=None):
        """The start page: the user's tasks, with the apps beside them for navigation."""
        return super().index(request, {"start": start_page(request, self), **(extra_context or {})})

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin registered here, the product's and third parties' (users, groups, django-axes), gets the
        list rules, so that no screen can be registered without them."""
        super().register(model_or_iterable, with_list_rules(admin_class or admin.ModelAdmin), **options)
