"""The preview task: takes ids, calls one service, is idempotent and acknowledged late (a lost worker's render is
handed out again, and a request claims it again after ``PREVIEW_RENDER_TIMEOUT``)."""

from celery import shared_task

from billing.previews.services import invoice_preview_render


@shared_task(name="billing.render_preview", acks_late=True)
def render_preview_task(preview_id: int, version: str) -> str:
    """Render and store a draft's preview for the version it was claimed for. Not retried: a failed render is
    recorded, and the next request for the preview (a client polling after 202) claims it again."""
    return invoice_preview_render(preview_id=preview_id, version=version)
