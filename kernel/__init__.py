"""The kernel every app imports and that imports no app: money (``kernel.money``), Stockholm business time
(``kernel.business_time``), domain errors (``kernel.errors``), the history base (``kernel.history``), the text rules
of every way in and out (``kernel.text``, ``kernel.forms``), environment parsing (``kernel.env``) and the API
plumbing (``kernel.api``: parsers, renderers, fields, throttling, filters, pagination, schema, exception handler).
Not a Django app: no models, no migrations. The import-linter contract in pyproject.toml keeps it at the bottom.
"""
