import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0006_outbox_send_started_at"),
        ("intake", "0012_date_of_birth_window"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxentry",
            name="intake_link",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="outbox_entries",
                to="intake.intakelink",
            ),
        ),
        migrations.AlterField(
            model_name="outboxentry",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("reminder", "Appointment reminder"),
                    ("survey", "Check-in survey"),
                    ("survey_resend", "Check-in survey (reminder)"),
                    ("intake_link", "Intake link"),
                    ("call_us", "Please-call-us message"),
                    ("task", "Staff task"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="outboxentry",
            name="task_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("integration", "Book an integration appointment"),
                    ("followup_visit", "Book a follow-up appointment"),
                    ("phone", "Phone follow-up: survey not answered"),
                    ("maintenance", "Maintenance review due"),
                    ("call_patient", "Call the patient about their consultation"),
                ],
                max_length=16,
            ),
        ),
    ]
