from contacts.audit.services import identity_reads_discard, identity_reads_flush


class IdentityReadMiddleware:
    """Writes the identity reads a request noted once its response is built (rendered templates included).

    A response that failed (4xx, 5xx) showed nothing, so its notes are dropped. If the write fails the request
    fails with it: no full identity number leaves without its record. A streamed specification (CSV) records its
    read itself, once its lines have been produced and before the last of them leaves (``billing.document_stream``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400:
            identity_reads_flush(request)
        else:
            identity_reads_discard(request)
        return response
