"""modeltranslation registrations: the service catalogue in Spanish and English."""

from modeltranslation.translator import TranslationOptions, register

from .models import ServiceType


@register(ServiceType)
class ServiceTypeTranslation(TranslationOptions):
    fields = ("name", "description")
