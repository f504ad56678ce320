"""The messages intake and treatments ask for (``intake.patient_messages``): an intake link, a
"please call us" after a decline. Each is an outbox row written in the asking transaction, then
sent by the sweep like every reminder (``services.outbox``: the channel, retries, quiet hours,
review of failures, the communication log), its text in ``followups/messages.py``.

Staff are usually waiting for these (an intake link sent with the patient on the phone), so a
sweep is queued as soon as the transaction commits rather than at beat's next tick; if the broker
does not take it, beat's sweep sends the row a little later (``clinic.broker``).
"""

from django.db import transaction
from django.utils import timezone

from clinic.broker import task_enqueue

from ..models import OutboxEntry
from ..tasks import sweep_outbox


def patient_message_schedule(
    *, purpose: str, patient_id: int, key: str, intake_link_id: int | None = None
) -> None:
    """Registered with intake (``MESSAGE_HOOKS``): the message's row, due now, and a sweep
    queued once the caller's transaction commits. Saved one by one (not in bulk like the
    reminders) so that the audit trail shows who caused the message; a second request with the
    same key is the same message, not a second one."""
    OutboxEntry.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "patient_id": patient_id,
            "purpose": OutboxEntry.Purpose(purpose),
            "intake_link_id": intake_link_id,
            "due_at": timezone.now(),
        },
    )
    transaction.on_commit(lambda: task_enqueue(sweep_outbox))
