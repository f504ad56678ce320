"""Indexes for the admin's lists of outbox entries, surveys and survey links: each holds a
list's order (or a filter's rows in that order), so a page reads 100 rows, not the table.

On a live PostgreSQL with millions of outbox rows, the index builds block writes to the table
for a few seconds (6 s at 100,000 patients): run it in a quiet hour."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0003_survey_review_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboxentry",
            index=models.Index(fields=["due_at", "id"], name="outbox_admin_order"),
        ),
        migrations.AddIndex(
            model_name="outboxentry",
            index=models.Index(
                condition=models.Q(("task_kind", ""), _negated=True),
                fields=["task_kind", "due_at", "id"],
                name="outbox_task_kind",
            ),
        ),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(fields=["due_at", "id"], name="survey_admin_order"),
        ),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(fields=["status", "due_at", "id"], name="survey_status_order"),
        ),
        migrations.AddIndex(
            model_name="surveylink",
            index=models.Index(fields=["-created_at", "-id"], name="surveylink_recent"),
        ),
    ]
