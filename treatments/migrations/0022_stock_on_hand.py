"""Stock on hand: a projection of the ledger (one row per container with something left in
it), filled here from the entries already written; ``chain.append()`` keeps it in step from
now on. Not a ledger table: the append-only trigger does not guard it."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    LedgerEntry = apps.get_model("treatments", "LedgerEntry")
    StockContainer = apps.get_model("treatments", "StockContainer")
    StockOnHand = apps.get_model("treatments", "StockOnHand")
    latest = LedgerEntry.objects.filter(container=OuterRef("pk")).order_by("-sequence")
    rows = (
        StockContainer.objects.annotate(balance=Subquery(latest.values("container_balance")[:1]))
        .filter(balance__gt=0)
        .values_list("pk", "registration_id", "product_id", "balance")
    )
    StockOnHand.objects.bulk_create(
        (
            StockOnHand(container_id=pk, registration_id=reg, product_id=product, balance=balance)
            for pk, reg, product, balance in rows.iterator(chunk_size=2000)
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0021_row_security"),
    ]

    operations = [
        migrations.CreateModel(
            name="StockOnHand",
            fields=[
                (
                    "container",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="on_hand",
                        serialize=False,
                        to="treatments.stockcontainer",
                    ),
                ),
                ("balance", models.DecimalField(decimal_places=1, max_digits=9)),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="treatments.controlledproduct",
                    ),
                ),
                (
                    "registration",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="treatments.dearegistration",
                    ),
                ),
            ],
            options={
                "verbose_name": "stock on hand",
                "verbose_name_plural": "stock on hand",
                "indexes": [
                    models.Index(
                        fields=["registration", "product"], name="stock_on_hand_by_product"
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("balance__gt", 0)), name="stock_on_hand_positive"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
