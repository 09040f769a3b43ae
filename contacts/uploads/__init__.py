"""CSV uploads as persisted batches: who uploaded which file, its progress and report, and the contacts it stored.

``models`` (the upload and its link to the contacts), ``services`` (start, process in parts, fail), ``selectors``
(the scope's uploads, an upload's report), ``tasks`` (the Celery task), ``admin`` (the upload page, the upload's
own page, the list of uploads and the contact list's "upload" filter)."""
