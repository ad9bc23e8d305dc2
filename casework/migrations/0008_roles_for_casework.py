"""Give the roles their permissions on cases, notes, goals, referrals and follow-ups."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from casework.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0007_case_reference_data")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
