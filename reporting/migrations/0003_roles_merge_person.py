"""Give the roles the permissions added since (supervisors merge and unmerge person records)."""

from django.db import migrations


def roles_sync(apps, schema_editor):
    from registry.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_indicators_and_roles"),
        ("registry", "0008_person_merge"),
        ("intake", "0002_arrival_void"),
        ("casework", "0001_initial"),
        ("services", "0002_catalogue_and_providers"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
