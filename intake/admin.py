"""Admin for arrivals: read-only, since every arrival is registered through intake.actions,
and scoped with arrivals_for like every other list of arrivals."""

from django.contrib import admin

from .models import Arrival
from .permissions import arrivals_for


@admin.register(Arrival)
class ArrivalAdmin(admin.ModelAdmin):
    list_display = [
        "arrived_at",
        "person",
        "center",
        "mode",
        "returned_from",
        "travel_group",
        "transport_reference",
        "registered_by",
    ]
    list_filter = ["center", "mode", "travel_group", "intends_to_migrate_again", "returned_from"]
    list_select_related = ["person", "center", "returned_from", "registered_by"]
    search_fields = [
        "person__given_names",
        "person__first_surname",
        "person__second_surname",
        "transport_reference",
    ]
    date_hierarchy = "arrived_at"
    filter_horizontal = ["reasons"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=arrivals_for(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
