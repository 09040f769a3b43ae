"""Who read which unmasked personal identity numbers, when and through which interface (an append-only log).

Every screen, API answer and document that shows a full personnummer says so through ``identity_shown`` (one
contact) or ``identity_document_shown`` (a whole specification); the middleware writes what one request showed
in one INSERT after the response is built. Masked numbers are not recorded.
"""
