"""The start page, on top of every app: it reads regions', contacts', billing's and the disputes' models and
selectors to say what each person has to do, and nothing imports it but the admin site (``config.admin_site``).
Not a Django app: no models; its template is ``templates/admin/start.html``."""
