"""Entries written before casework.audit redacted them hold the values of persons' and cases'
fields: reduce them to the changed fields' names (casework's own models)."""

from django.db import migrations


def scrub(apps, schema_editor):
    from casework.audit import stored_entries_redact

    stored_entries_redact(
        apps,
        app_label="casework",
        models=[
            "person",
            "consent",
            "personcenter",
            "case",
            "casenote",
            "casegoal",
            "referral",
            "followup",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0013_casegoal_version"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # The values are gone for good: going back leaves the entries as they are.
    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
