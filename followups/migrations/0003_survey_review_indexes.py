from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the follow-up worklist at scale: the escalated surveys to review, oldest
    first, and the counts of the surveys to review read from the index alone (which replaces
    the narrower survey_to_review)."""

    dependencies = [("followups", "0002_role_permissions")]

    operations = [
        migrations.RemoveIndex(model_name="survey", name="survey_to_review"),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(
                condition=models.Q(
                    ("reviewed_at__isnull", True),
                    ("status", "completed"),
                    models.Q(("escalations", []), _negated=True),
                ),
                fields=["completed_at", "id"],
                name="survey_escalated",
            ),
        ),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(
                condition=models.Q(("reviewed_at__isnull", True), ("status", "completed")),
                fields=["completed_at", "escalations"],
                name="survey_review_queue",
            ),
        ),
    ]
