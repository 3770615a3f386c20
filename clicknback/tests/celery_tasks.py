"""A probe task used only by the worker test."""

import time

from celery import shared_task
from django.db import transaction

from clicknback.audit.services import SYSTEM, audit_record


@shared_task(name="clicknback.tests.record_probe")
def record_probe(marker: str) -> None:
    with transaction.atomic():
        audit_record(actor=SYSTEM, action="probe.recorded", resource_type="probe", resource_id=marker)


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
