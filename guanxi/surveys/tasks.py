"""Background jobs of surveys: e-mailing survey links."""

from __future__ import annotations

import logging

from guanxi.jobs.services import handler

from . import services
from .models import SurveyLink

log = logging.getLogger(__name__)


@handler("surveys.send_links")
def send_links(job, progress):
    """E-mail each link once (a retried job skips the links already sent)."""
    ids = [int(i) for i in job.params.get("links", [])]
    progress.set_total(len(ids))
    sent = failed = 0
    links = SurveyLink.objects.filter(pk__in=ids).select_related("survey").order_by("pk")
    for done, link in enumerate(links.iterator(), start=1):
        try:
            sent += services.email_link(link)
        except Exception:  # one bad address must not stop the others
            log.exception("could not e-mail survey link %s", link.pk)
            failed += 1
        progress.advance_to(done)
    return {"sent": sent, "failed": failed}
