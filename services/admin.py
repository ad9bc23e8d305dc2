"""Admin for the service catalogue (es and en) and providers; deliveries read-only and scoped."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from registry.admin import ReadOnlyAdminMixin

from .models import Provider, ServiceDelivery, ServiceType
from .permissions import deliveries_for


@admin.register(ServiceType)
class ServiceTypeAdmin(TranslationAdmin):
    list_display = [
        "name",
        "code",
        "category",
        "dimension",
        "unit",
        "requires_case",
        "outcome",
        "max_quantity",
        "sort_order",
        "active",
    ]
    list_filter = ["category", "dimension", "requires_case", "outcome", "active"]
    search_fields = ["code", "name_es", "name_en"]
    ordering = ["category", "sort_order", "code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deliveries refer to the type (PROTECT): retire a service by unticking "active".
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "active"]
    list_filter = ["kind", "country", "active"]
    list_select_related = ["country"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServiceDelivery)
class ServiceDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only and limited to the user's centres: deliveries are recorded and voided in the app."""

    list_display = [
        "delivered_on",
        "service_type",
        "quantity",
        "person",
        "center",
        "status",
        "is_voided",
        "recorded_by",
    ]
    list_filter = ["status", "service_type__category", "service_type", "center"]
    list_select_related = ["service_type", "person", "center", "recorded_by"]
    search_fields = ["person__first_surname", "person__given_names", "=client_uuid"]
    date_hierarchy = "delivered_on"
    raw_id_fields = ["person", "case", "replaces", "distribution", "referral"]

    def get_queryset(self, request):
        return deliveries_for(request.user).select_related(*self.list_select_related)

    @admin.display(description=_("voided"), boolean=True)
    def is_voided(self, obj: ServiceDelivery) -> bool:
        return obj.is_void
