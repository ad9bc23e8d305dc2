"""User administration: roles and centres assigned by administrators, never by the user themself;
users are deactivated, never deleted."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Permission
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import ReceptionCenterUserObjectPermission
from .permissions import (
    VIEW_CENTER_RECORDS,
    WORK_AT_CENTER,
    centers_for,
    groups_grantable_by,
    persons_for,
    readable_centers_for,
    user_may_manage,
    users_manageable_by,
)
from .roles import ROLE_LABELS

User = get_user_model()

# Fields nobody may change on their own account: they would widen their own access.
SELF_LOCKED_FIELDS = ("groups", "user_permissions", "is_superuser", "is_staff", "is_active")


def may_manage(request, obj) -> bool:
    """user_may_manage, asked once per request and account: the admin asks it many times a page."""
    answers = request.__dict__.setdefault("_retorno_may_manage", {})
    if obj.pk not in answers:
        answers[obj.pk] = user_may_manage(request.user, obj)
    return answers[obj.pk]


class CenterPermissionForm(forms.ModelForm):
    class Meta:
        model = ReceptionCenterUserObjectPermission
        fields = ("content_object", "permission")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission"].queryset = Permission.objects.filter(
            content_type__app_label="registry",
            codename__in=(WORK_AT_CENTER, VIEW_CENTER_RECORDS),
        )
        self.fields["content_object"].label = _("reception centre")


class CenterPermissionInline(admin.TabularInline):
    model = ReceptionCenterUserObjectPermission
    form = CenterPermissionForm
    fk_name = "user"
    extra = 0
    verbose_name = _("centre assignment")
    verbose_name_plural = _("centre assignments")

    def _may_assign(self, request, obj) -> bool:
        """Never on one's own account, nor on an account with more rights than one's own."""
        return obj is None or (obj.pk != request.user.pk and may_manage(request, obj))

    def has_add_permission(self, request, obj=None):
        return self._may_assign(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_assign(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_assign(request, obj) and super().has_delete_permission(request, obj)


class RetornoUserAdmin(UserAdmin):
    inlines = [CenterPermissionInline]
    list_display = ("username", "first_name", "last_name", "is_active", "roles")
    list_filter = ("is_active", "groups")
    readonly_fields = ("access_summary", "last_login", "date_joined")

    @admin.display(description=_("roles"))
    def roles(self, obj) -> str:
        return ", ".join(str(ROLE_LABELS.get(g.name, g.name)) for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    # An account with more rights than the actor's is theirs to view, never to change: not its
    # details, password (UserAdmin.user_change_password asks has_change_permission), roles,
    # centres or status, nor through a changelist action.
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        # Audit entries name who acted by the user row: staff leave by deactivation.
        return False

    def response_action(self, request, queryset):
        manageable = users_manageable_by(request.user).values("pk")
        return super().response_action(request, queryset.filter(pk__in=manageable))

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups" and request is not None:
            # Only roles whose permissions and centres the actor may hand out.
            kwargs["queryset"] = groups_grantable_by(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((_("What this user can reach"), {"fields": ("access_summary",)}))
        if not request.user.is_superuser:
            # Only a superuser grants superuser status or individual permissions.
            fieldsets = [
                (
                    name,
                    {
                        **options,
                        "fields": tuple(
                            f
                            for f in options["fields"]
                            if f not in ("is_superuser", "user_permissions")
                        ),
                    },
                )
                for name, options in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += [f for f in SELF_LOCKED_FIELDS if f not in fields]
        return fields

    @admin.display(description=_("access"))
    def access_summary(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        work = centers_for(obj)
        read = readable_centers_for(obj).exclude(pk__in=work.values("pk"))
        rows = [
            (_("Roles"), self.roles(obj) or _("none")),
            (_("Works at"), ", ".join(c.name for c in work) or _("no centre")),
            (_("Reads records of"), ", ".join(c.name for c in read) or _("no other centre")),
            (_("Persons reachable"), persons_for(obj).count()),
        ]
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((str(k), v) for k, v in rows)),
        )


# Replace django.contrib.auth's registration (auth comes before casework in INSTALLED_APPS).
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RetornoUserAdmin)
