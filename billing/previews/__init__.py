"""Previews of draft (and submitted) invoices: the invoice PDF and the specification PDF, rendered once per version
of the draft by a Celery task, stored, and served from storage while that version is current.

A preview used to be rendered inside the request on every GET (a 40 000-line specification took 95 s, past
gunicorn's timeout), by anyone of the seller or the buyer. Now:

- ``preview_version`` names what a preview shows: the invoice's ``content_version`` (bumped with every change of its
  lines and totals, ``billing.ledger.invoice_totals_refresh``), its own fields, both parties' (names, addresses,
  organisation numbers, bankgiro, references), the settings the documents print and ``PREVIEW_FORMAT``.
- ``invoice_preview_request`` (a GET) answers the stored preview while its version is current; otherwise it claims
  the render with one conditional UPDATE of the preview's row (one row per invoice and document, a unique
  constraint), so that any number of concurrent GETs queue one render, and the GET answers 202 until it is stored.
- Approved invoices keep their final PDFs (``billing.tasks.render_documents_task``); their previews are discarded.
"""
