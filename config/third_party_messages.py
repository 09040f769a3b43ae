"""Messages of Django and django-axes that their own Swedish catalogues lack, listed here so that `make messages`
extracts them into ours (LOCALE_PATHS comes first, so our translation is used). Never imported: gettext_noop only
marks them. Add a message here when a screen shows English that comes from a package rather than from our code.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO = (
    # Django 6.1's blank choice of a select ("- Select an option -"), not yet in Django's Swedish catalogue.
    gettext_noop("- Select an option -"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("Logout"),
    ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count"),
)

# django-axes (failed logins and lockouts; national admins read them in the admin). It has no Swedish catalogue.
AXES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Path"),
    gettext_noop("POST Data"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
)
