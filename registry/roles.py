"""Roles: Django groups with model permissions (what kind of thing a role may do).

Which centres a member may reach is separate: guardian object permissions on ReceptionCenter.
"""

from django.utils.translation import gettext_lazy as _

CASEWORKER = "caseworker"
SUPERVISOR = "supervisor"
PROGRAMME_MANAGER = "programme_manager"
DONOR_REVIEWER = "donor_reviewer"
ADMINISTRATOR = "administrator"

ROLE_LABELS = {
    CASEWORKER: _("Caseworker"),
    SUPERVISOR: _("Centre supervisor"),
    PROGRAMME_MANAGER: _("Programme manager"),
    DONOR_REVIEWER: _("Donor reviewer"),
    ADMINISTRATOR: _("System administrator"),
}

_CASEWORK = [
    "registry.view_person",
    "registry.add_person",
    "registry.change_person",
    "registry.view_consent",
    "registry.add_consent",
    "intake.view_arrival",
    "intake.add_arrival",
    *(
        f"casework.{action}_{model}"
        for model in ("case", "casegoal", "referral", "followup")
        for action in ("view", "add", "change")
    ),
    # notes are append-only: no change permission
    "casework.view_casenote",
    "casework.add_casenote",
    # deliveries are voided, never edited: change_servicedelivery is the void permission
    "services.view_servicedelivery",
    "services.add_servicedelivery",
    "services.change_servicedelivery",
    "services.view_distribution",
    "services.add_distribution",
]
_READ_CASEWORK = [name for name in _CASEWORK if ".view_" in name]
_REFERENCE = [
    f"registry.{action}_{model}"
    for model in (
        "country",
        "department",
        "municipality",
        "svmunicipality2024",
        "documenttype",
        "migrationreason",
        "receptioncenter",
        "closurereason",
        "vulnerabilitycategory",
        "serviceline",
        "partner",
    )
    for action in ("view", "add", "change")
] + [
    f"services.{action}_{model}"
    for model in ("servicetype", "provider")
    for action in ("view", "add", "change")
]

# Permission codenames per role, as "app_label.codename".
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CASEWORKER: _CASEWORK,
    SUPERVISOR: [
        *_CASEWORK,
        "intake.change_arrival",
        "registry.merge_person",
        "auditlog.view_logentry",
        "casework.manage_center_cases",
    ],
    PROGRAMME_MANAGER: [*_READ_CASEWORK, "reporting.view_aggregates"],
    DONOR_REVIEWER: ["reporting.view_aggregates"],
    ADMINISTRATOR: [
        *_REFERENCE,
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "registry.view_receptioncenteruserobjectpermission",
        "registry.add_receptioncenteruserobjectpermission",
        "registry.delete_receptioncenteruserobjectpermission",
        "registry.view_receptioncentergroupobjectpermission",
        "registry.add_receptioncentergroupobjectpermission",
        "registry.delete_receptioncentergroupobjectpermission",
        "auditlog.view_logentry",
        "reporting.view_aggregates",
    ],
}


def roles_sync(apps) -> None:
    """Create the role groups and set their permissions (used by migrations).

    An earlier migration runs this before later models exist: their permissions are skipped
    then, and set by the later migration that syncs the roles again.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations (post_migrate); make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
