"""Give the roles their permissions on service deliveries and the catalogue."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from casework.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0002_seed_catalogue"),
        ("casework", "0008_roles_for_casework"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
