"""Celery tasks: thin wrappers that call the delivery functions (imported inside, no cycles).

Beat may fire twice and a worker may die mid-run: the sent-log (reports/delivery.py) sends each mail
once all the same.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def send_reports_task() -> int:
    """Send the weekly and monthly reports that are due; returns how many went out."""
    from django.utils import timezone

    from reports.delivery import send_due_reports

    return send_due_reports(timezone.now()).sent


@shared_task(ignore_result=True)
def send_alerts_task() -> int:
    """Mail the traffic alerts that fire; returns how many went out."""
    from django.utils import timezone

    from reports.delivery import send_due_alerts

    return send_due_alerts(timezone.now()).sent
