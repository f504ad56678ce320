"""The controlled products a ketamine clinic commonly stocks, as the demo data and the tests
set them up (a clinic enters its own in the admin, with the NDCs on its invoices)."""

from decimal import Decimal

COMMON_PRODUCTS = (
    {
        "name": "Ketamine HCl injection 50 mg/mL, 10 mL multi-dose vial",
        "drug": "ketamine",
        "ndc": "0143-9508-10",
        "form": "Injection, solution",
        "unit": "mg",
        "strength_mg_per_ml": Decimal("50.0"),
        "volume_ml": Decimal("10.0"),
    },
    {
        "name": "Ketamine HCl injection 100 mg/mL, 5 mL multi-dose vial",
        "drug": "ketamine",
        "ndc": "0143-9509-05",
        "form": "Injection, solution",
        "unit": "mg",
        "strength_mg_per_ml": Decimal("100.0"),
        "volume_ml": Decimal("5.0"),
    },
    {
        "name": "Esketamine (Spravato) 28 mg nasal spray, 56 mg pack of 2 devices",
        "drug": "esketamine",
        "ndc": "50458-028-02",
        "form": "Nasal spray, 28 mg device",
        "unit": "device",
        "mg_per_device": Decimal("28.0"),
        "devices_per_pack": 2,
    },
    {
        "name": "Esketamine (Spravato) 28 mg nasal spray, 84 mg pack of 3 devices",
        "drug": "esketamine",
        "ndc": "50458-028-03",
        "form": "Nasal spray, 28 mg device",
        "unit": "device",
        "mg_per_device": Decimal("28.0"),
        "devices_per_pack": 3,
    },
)
