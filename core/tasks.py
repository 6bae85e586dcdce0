from __future__ import annotations

import logging

from celery import shared_task

from core.jobs import sweep_names, sweep_run
from core.webhooks.tasks import webhook_deliveries_send_task  # noqa: F401 - autodiscovery reads only core.tasks

logger = logging.getLogger(__name__)


@shared_task(name="core.run_sweep")
def run_sweep_task(name: str) -> str:
    """Run the named periodic sweep once; unknown names are logged and ignored."""
    if name not in sweep_names():
        logger.warning("Unknown sweep %s", name)
        return "unknown"
    result = sweep_run(name)
    logger.info("sweep %s: %s", name, result)
    return str(result)
