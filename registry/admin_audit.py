"""The audit log in the admin: only entries without personal data (staff accounts' exports,
reference data), for those who administer users. A person's entries are read on the record's
access-log page, by those who may read the record."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from .audit import without_personal_data


class AuditEntryAdmin(LogEntryAdmin):
    # auditlog's own admin lists and searches every entry, personal ones included.
    search_fields = ["object_repr", "actor__username"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(content_type__in=without_personal_data())

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and request.user.has_perm("auth.view_user")


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditEntryAdmin)
