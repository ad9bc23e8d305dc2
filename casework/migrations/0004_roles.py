"""Create the five role groups with their model permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from casework.roles import roles_sync

    roles_sync(apps)


def remove_roles(apps, schema_editor):
    from casework.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0003_reception_center_read_permission"),
        ("intake", "0001_initial"),
        ("auditlog", "__latest__"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
