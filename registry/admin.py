"""Admin for reference data, reception centres (with centre permissions) and, read-only and
scoped to the user's centres, persons and consents. Superusers are scoped too: an admin list
never shows records outside one's centres. (Cases: casework.admin.)
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from .audit import person_viewed
from .models import (
    ClosureReason,
    Consent,
    Country,
    Department,
    DocumentType,
    MigrationReason,
    Municipality,
    Partner,
    Person,
    ReceptionCenter,
    ServiceLine,
    SvMunicipality2024,
    VulnerabilityCategory,
)
from .permissions import persons_for


class ReadOnlyAdminMixin:
    """Counted and audited data: the admin may look, the actions module writes."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Country)
class CountryAdmin(TranslationAdmin):
    list_display = ["name", "iso2", "is_programme_country", "sort_order"]
    list_filter = ["is_programme_country"]
    search_fields = ["name_es", "name_en", "iso2"]
    ordering = ["sort_order", "name_es"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "iso_code", "pcode", "national_code", "country"]
    list_filter = ["country"]
    list_select_related = ["country"]
    search_fields = ["name", "iso_code", "pcode"]
    ordering = ["country__sort_order", "iso_code"]


@admin.register(SvMunicipality2024)
class SvMunicipality2024Admin(admin.ModelAdmin):
    list_display = ["name", "code", "department", "is_department_seat", "district_count"]
    list_filter = ["department", "is_department_seat"]
    list_select_related = ["department"]
    search_fields = ["name", "department__name", "districts__name"]
    ordering = ["department__national_code", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(district_count=Count("districts"))

    @admin.display(description=_("districts"), ordering="district_count")
    def district_count(self, obj: SvMunicipality2024) -> int:
        return obj.district_count


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "department",
        "country",
        "pcode",
        "national_code",
        "sv_municipality_2024",
    ]
    list_filter = ["department__country", "department"]
    list_select_related = ["department__country", "sv_municipality_2024"]
    search_fields = ["name", "pcode", "national_code", "department__name"]
    autocomplete_fields = ["department"]
    ordering = ["department__country__sort_order", "pcode"]

    @admin.display(description=_("country"), ordering="department__country__sort_order")
    def country(self, obj: Municipality) -> Country:
        return obj.department.country


@admin.register(DocumentType)
class DocumentTypeAdmin(TranslationAdmin):
    list_display = [
        "name",
        "code",
        "country",
        "number_pattern",
        "number_example",
        "requires_number",
        "active",
    ]
    list_filter = ["active", "requires_number"]
    list_select_related = ["country"]
    search_fields = ["code", "name_es", "name_en"]


@admin.register(MigrationReason)
class MigrationReasonAdmin(TranslationAdmin):
    list_display = ["name", "code", "sort_order", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_es", "name_en"]


@admin.register(ReceptionCenter)
class ReceptionCenterAdmin(TranslationAdmin):
    # Centre access is assigned on the user page (registry.admin_users), which refuses
    # self-assignment; guardian's per-object permission page would not.
    """The "Object permissions" button assigns who works at a centre (work_at_center)."""

    list_display = ["name", "code", "country", "kind", "time_zone", "active"]
    list_filter = ["country", "kind", "active"]
    list_select_related = ["country"]
    search_fields = ["code", "name_es", "name_en"]


class ConsentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Consent
    extra = 0
    fields = ["kind", "granted", "recorded_at", "recorded_by"]
    readonly_fields = fields
    ordering = ["kind", "-recorded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: changes go through casework.actions (versioned and audited)."""

    list_display = [
        "first_surname",
        "second_surname",
        "given_names",
        "sex",
        "birth_date",
        "nationality",
        "document_type",
        "document_last4",
        "created_at",
    ]
    list_filter = ["sex", "nationality", "document_type"]
    list_select_related = ["nationality", "document_type"]
    search_fields = ["given_names", "first_surname", "second_surname", "=document_key"]
    date_hierarchy = "created_at"
    inlines = [ConsentInline]

    @admin.display(description=_("document (last 4)"))
    def document_last4(self, obj: Person) -> str:
        return obj.document_last4

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=persons_for(request.user).values("pk"))

    def get_object(self, request, object_id, from_field=None):
        person = super().get_object(request, object_id, from_field)
        if person is not None:
            # Opening a person's record in the admin is a view like any other: audit it.
            person_viewed(person, actor=request.user)
        return person


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: consents are recorded at intake, never edited."""

    list_display = ["person", "kind", "granted", "recorded_at", "recorded_by"]
    list_filter = ["kind", "granted"]
    list_select_related = ["person", "recorded_by"]
    search_fields = ["person__first_surname", "person__given_names"]
    date_hierarchy = "recorded_at"

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(person__in=persons_for(request.user).values("pk"))
        )


# --- Casework reference data (both languages side by side) -----------------------------------


@admin.register(ClosureReason)
class ClosureReasonAdmin(TranslationAdmin):
    list_display = ["code", "name_es", "name_en", "sort_order", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_es", "name_en"]


@admin.register(VulnerabilityCategory)
class VulnerabilityCategoryAdmin(TranslationAdmin):
    list_display = ["code", "name_es", "name_en", "sort_order", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_es", "name_en"]


@admin.register(ServiceLine)
class ServiceLineAdmin(TranslationAdmin):
    list_display = ["code", "name_es", "name_en", "sort_order", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_es", "name_en"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "phone", "email", "active"]
    list_filter = ["country", "kind", "active"]
    list_select_related = ["country"]
    search_fields = ["name"]
    filter_horizontal = ["service_lines"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "country":
            kwargs["queryset"] = Country.objects.filter(is_programme_country=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Users, their roles and centres, and the audit log (kept in their own modules; imported here so
# autodiscover sees them).
from . import admin_audit, admin_users  # noqa: E402, F401
