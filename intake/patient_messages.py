"""Messages to a patient that intake and treatments ask for: an intake link, a "please call us".

Every message to a patient goes through the outbox (``followups``: its sweep, retries, quiet
hours, review of failures and communication log, its texts in ``followups/messages.py``). The
apps below it cannot import it (the dependencies run one way), so they ask here, inside the
transaction that causes the message, and followups registers the writer of the outbox row in
its AppConfig.ready(), as it does for treatments' booking hooks. The row is then written in the
asking transaction: a rolled-back change sends nothing. Ids only, never the text or health data:
what a message says is decided when it is sent.
"""

from collections.abc import Callable

# The kinds of message asked for here (the outbox's purposes of the same names).
INTAKE_LINK = "intake_link"  # the link to an intake, by the link's channel (email or SMS)
CALL_US = "call_us"  # after a decline: "please call us", by the patient's channel

# Called with (purpose=, patient_id=, key=, intake_link_id=): key is what makes this message
# this message (a second request with the same key is not a second message).
MESSAGE_HOOKS: list[Callable[..., None]] = []


def patient_message_request(
    *, purpose: str, patient_id: int, key: str, intake_link_id: int | None = None
) -> None:
    """Ask for a message to the patient (inside the caller's transaction)."""
    if not MESSAGE_HOOKS:
        # Without the outbox the message would silently never go: fail loudly instead.
        raise RuntimeError("No outbox registered for patient messages (is followups installed?)")
    for hook in MESSAGE_HOOKS:
        hook(purpose=purpose, patient_id=patient_id, key=key, intake_link_id=intake_link_id)
