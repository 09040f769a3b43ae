"""Date and number formats per language (settings.FORMAT_MODULE_PATH), overriding Django's where they differ.

Dates are ISO 8601 in both languages: a date ``2026-12-01``, a time ``07:17`` (24 hours), a date and time
``2026-12-01 07:17`` in Europe/Stockholm (the current time zone). The admin's lists and detail pages, the
``date`` filter without an argument and the report pages all read these, so no template names a format.
A month is ``2026-12``, as periods are written everywhere, and a day in the admin's date hierarchy the whole
date. Date input is ISO too (what the admin's calendar
writes). Anything not set here comes from Django's own formats of the language (for Swedish: decimal comma and
a non-breaking space between thousands). Money is not a number format: ``kernel.money.format_sek``.
"""
