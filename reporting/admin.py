"""Admin: indicator definitions in both languages; the log of donor pulls and the releases,
read-only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from registry.admin import ReadOnlyAdminMixin

from .indicators import INDICATORS
from .models import AggregatePull, Indicator, Release


class IndicatorForm(forms.ModelForm):
    counting_rule = forms.ChoiceField(
        label=_("counting rule"),
        choices=[(code, rule.label) for code, rule in INDICATORS.items()],
        help_text=_("How the indicator is counted: a rule defined in the code."),
    )

    class Meta:
        model = Indicator
        fields = ["code", "name", "definition", "counting_rule", "unit", "sort_order", "active"]


@admin.register(Indicator)
class IndicatorAdmin(TranslationAdmin):
    form = IndicatorForm
    list_display = ["code", "name", "counting_rule", "unit", "sort_order", "active"]
    list_filter = ["active", "unit"]
    search_fields = ["code", "name_es", "name_en"]
    ordering = ["sort_order", "code"]


@admin.register(AggregatePull)
class AggregatePullAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "indicator", "period", "dims"]
    list_filter = ["indicator"]
    list_select_related = ["user"]
    search_fields = ["user__username", "indicator", "period"]
    date_hierarchy = "at"


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a release is made by release_publish and never changes."""

    list_display = ["period", "kind", "start", "end", "created_at", "k", "bound", "published_by"]
    list_filter = ["kind"]
    search_fields = ["period"]
