from django.db import migrations, models


def summary_unbuilt(apps, schema_editor):
    """The counted events have no record keys yet: the reports read the base tables (which
    have them) until the next full rebuild (nightly, or `manage.py summary_rebuild`)."""
    apps.get_model("reporting", "SummaryTable").objects.all().delete()
    apps.get_model("reporting", "SummaryState").objects.update(rebuilt_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0015_person_record_key"),
        ("reporting", "0005_event_age"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventfact",
            name="record_key",
            field=models.PositiveIntegerField(default=0, verbose_name="statistical record key"),
        ),
        migrations.RunPython(summary_unbuilt, migrations.RunPython.noop),
    ]
