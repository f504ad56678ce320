"""Stock for the tests of the controlled-substance ledger: the common products, a delivery,
a witness's authenticator code."""

import time
from datetime import date, timedelta

from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from treatments.ledger_catalog import COMMON_PRODUCTS
from treatments.models import ControlledProduct, StockContainer
from treatments.services import ledger

# The test users' password (tests.factories.UserFactory).
PASSWORD = "correct-horse-battery"


def products() -> dict[str, ControlledProduct]:
    """The common products by a short name: "ketamine" (50 mg/mL, 10 mL: 500 mg a vial),
    "ketamine_100" (100 mg/mL, 5 mL), "esketamine" (a pack of 2 devices), "esketamine_3"."""
    names = ("ketamine", "ketamine_100", "esketamine", "esketamine_3")
    made = {}
    for name, fields in zip(names, COMMON_PRODUCTS, strict=True):
        made[name], _ = ControlledProduct.objects.get_or_create(ndc=fields["ndc"], defaults=fields)
    return made


def stocked(
    *,
    by,
    checked_by,
    product: str = "ketamine",
    labels=("K-001",),
    expires_on: date | None = None,
    invoice_number: str | None = None,
    registration=None,
) -> list[StockContainer]:
    """A delivery of one container per label, received by ``by`` and checked by
    ``checked_by`` (two clinicians), under ``registration`` (the clinic's if None); the
    containers, in the order of ``labels``."""
    chosen = products()[product]
    receipt = ledger.receipt_record(
        by=by,
        checked_by=checked_by,
        supplier="Henry Schein",
        supplier_address="1 Schein Plaza, Melville, NY 11747",
        supplier_dea_number="RH0216843",
        invoice_number=invoice_number or f"INV-{labels[0]}",
        received_on=timezone.localdate(),
        containers=[
            ledger.ReceivedContainer(
                product=chosen,
                label=label,
                lot=f"LOT-{label}",
                expires_on=expires_on or timezone.localdate() + timedelta(days=365),
                storage="Double-locked cabinet, room 2",
            )
            for label in labels
        ],
        registration=registration,
    )
    return list(receipt.containers.order_by("label"))


def authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator (made if they have none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def current_code(user, *, steps_ahead: int = 0) -> str:
    """The code the user's authenticator shows now (``steps_ahead`` 30-second steps later:
    django-otp accepts the next one too, and never the same code twice)."""
    device = authenticator(user)
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    clock.time = time.time() + steps_ahead * device.step  # the clock django-otp reads
    return str(clock.token()).zfill(device.digits)


def checker():
    """A clinician who checks deliveries in the tests that only need stock on the shelf."""
    from tests.factories import UserFactory

    return UserFactory(username="stockcheck", first_name="Sol", last_name="Check", role="Clinician")


def exact_draw(*, drug: str, dose_mg, by, location=None) -> list[ledger.Draw]:
    """A draw of exactly ``dose_mg`` (no waste) from a container in stock, delivered now if
    none holds enough: ketamine in mg from a 500 mg vial, esketamine in whole devices. In a
    chain, the stock of ``location`` (the session's)."""
    from decimal import Decimal

    dose_mg = Decimal(dose_mg)
    product = products()["ketamine" if drug == "ketamine" else "esketamine_3"]
    amount = product.units_for_mg(dose_mg) if dose_mg > 0 else Decimal(1)
    for container in ledger.usable_containers(drug=drug, location=location):
        if container.balance >= amount:
            return [ledger.Draw(container.pk, amount)]
    number = StockContainer.objects.count() + 1
    prefix = "K" if drug == "ketamine" else "E"
    labels = tuple(f"{prefix}-T{number + i:03d}" for i in range(1 if drug == "ketamine" else 2))
    second = checker()
    second.is_active = True
    second.save(update_fields=["is_active"])
    made = stocked(
        by=by,
        checked_by=second,
        product="ketamine" if drug == "ketamine" else "esketamine_3",
        labels=labels,
        registration=ledger.clinic_registration(location) if location is not None else None,
    )
    # Off duty again: an active clinician more would receive the clinicians' alerts.
    second.is_active = False
    second.save(update_fields=["is_active"])
    return [ledger.Draw(made[0].pk, amount)]
