"""What operators see of the running product (issue 20 items 4 and 5): structured logs with a request id carried
into Celery tasks (``logs``), optional error reporting (``errors``) and Prometheus metrics (``metrics``). The health
endpoints are ``config.health``. None of them writes a personal identity number or a credential anywhere: each
passes text through ``config.identity_scrubbing.scrub``."""
