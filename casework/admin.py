"""Admin for cases with their notes, referrals and follow-ups: read-only, scoped with cases_for
(restricted cases only for those they are opened to), superusers included."""

from django.contrib import admin

from registry.admin import ReadOnlyAdminMixin

from .models import Case, CaseNote, FollowUp, Referral
from .permissions import cases_for


class CaseScopedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rows hanging off a case: only those of cases the user can see in the application."""

    case_path = "case"

    def get_queryset(self, request):
        visible = cases_for(request.user).values("pk")
        return super().get_queryset(request).filter(**{f"{self.case_path}__in": visible})


@admin.register(Case)
class CaseAdmin(CaseScopedAdmin):
    case_path = "pk"
    list_display = [
        "number",
        "person",
        "center",
        "assigned_to",
        "status",
        "restricted",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["status", "restricted", ("center", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["person", "center", "assigned_to"]
    search_fields = ["=number", "person__given_names", "person__first_surname"]
    date_hierarchy = "opened_at"
    exclude = ["client_uuid"]


@admin.register(CaseNote)
class CaseNoteAdmin(CaseScopedAdmin):
    list_display = ["case", "created_at", "author", "corrects"]
    list_select_related = ["case", "author", "corrects"]
    search_fields = ["=case__number"]
    date_hierarchy = "created_at"
    exclude = ["client_uuid"]


@admin.register(Referral)
class ReferralAdmin(CaseScopedAdmin):
    list_display = ["case", "partner", "service_line", "status", "referred_at", "referred_by"]
    list_filter = ["status", "service_line"]
    list_select_related = ["case", "partner", "service_line", "referred_by"]
    search_fields = ["=case__number", "partner__name"]
    date_hierarchy = "referred_at"
    exclude = ["client_uuid"]


@admin.register(FollowUp)
class FollowUpAdmin(CaseScopedAdmin):
    list_display = ["case", "due_date", "purpose", "done_at", "outcome"]
    list_filter = ["outcome"]
    list_select_related = ["case"]
    search_fields = ["=case__number"]
    date_hierarchy = "due_date"
