"""The admin site: Django's, with a start page that says what each person has to do (``config.start``)."""

from django.contrib import admin

from config.start import start_page


class UtomlansAdminSite(admin.AdminSite):
    index_template = "admin/start.html"
    # No "Visa sida" (View site) link in the header: the site is the admin itself (its root redirects here).
    site_url = None

    def index(self, request, extra_context=None):
        """The start page: the user's tasks, with the apps beside them for navigation."""
        return super().index(request, {"start": start_page(request, self), **(extra_context or {})})
