"""Login throttling (django-axes): the client address a lockout is keyed on, and the page a locked login gets.

The rule itself (how many failures, for how long, keyed on user name and address together) is in settings
(LOGIN_FAILURE_LIMIT, LOGIN_COOLOFF_MINUTES); django-axes counts the failures in the database.
"""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address the outermost
    of them saw (X-Forwarded-For read from the right, so a client cannot choose it by sending its own header)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return gettext(
        "Too many failed logins with this user name from your address. Logging in is blocked for %(minutes)d "
        "minutes; try again later, or ask an administrator to unlock the account."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The admin's login page, without the form, saying why and for how long (429 Too Many Requests)."""
    context = {
        **admin.site.each_context(request),
        "title": gettext("Log in"),
        "lockout_message": lockout_message(),
    }
    # Rendered here: django-axes returns this from its middleware, after the view's response was rendered.
    return render(request, "admin/login_locked.html", context, status=429)
