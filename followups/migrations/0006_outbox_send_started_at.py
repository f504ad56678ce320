from django.db import migrations, models
from django.db.models import F


def rows_in_flight_count_as_started(apps, schema_editor):
    """A row "sending" when this runs was claimed by the sweep before this field existed: it
    may have been handed to the provider, so it counts as started (it goes to review if stuck,
    never back to the queue to be sent twice)."""
    OutboxEntry = apps.get_model("followups", "OutboxEntry")
    OutboxEntry.objects.filter(status="sending").update(send_started_at=F("claimed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0005_checkin_anxiety_instrument"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxentry",
            name="send_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(rows_in_flight_count_as_started, migrations.RunPython.noop),
    ]
