"""modeltranslation registrations: reference data an administrator maintains in both languages."""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    ClosureReason,
    Country,
    DocumentType,
    MigrationReason,
    ReceptionCenter,
    ServiceLine,
    VulnerabilityCategory,
)


@register(Country)
class CountryTranslation(TranslationOptions):
    fields = ("name",)


@register(DocumentType)
class DocumentTypeTranslation(TranslationOptions):
    fields = ("name",)


@register(MigrationReason)
class MigrationReasonTranslation(TranslationOptions):
    fields = ("name",)


@register(ReceptionCenter)
class ReceptionCenterTranslation(TranslationOptions):
    fields = ("name",)


@register(ClosureReason)
class ClosureReasonTranslation(TranslationOptions):
    fields = ("name",)


@register(VulnerabilityCategory)
class VulnerabilityCategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(ServiceLine)
class ServiceLineTranslation(TranslationOptions):
    fields = ("name",)
