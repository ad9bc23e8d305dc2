"""modeltranslation registrations: reference data an administrator maintains in both languages."""

from modeltranslation.translator import TranslationOptions, register

from .models import Country, DocumentType, MigrationReason, ReceptionCenter


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
