"""Entries written before casework.audit redacted them hold the values of deliveries' fields:
reduce them to the changed fields' names."""

from django.db import migrations


def scrub(apps, schema_editor):
    from casework.audit import stored_entries_redact

    stored_entries_redact(
        apps, app_label="services", models=["servicedelivery", "distribution"]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0004_seed_providers"),
        ("casework", "0014_audit_entries_without_personal_values"),
    ]

    # The values are gone for good: going back leaves the entries as they are.
    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
