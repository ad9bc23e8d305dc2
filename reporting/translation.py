"""modeltranslation registrations: indicator names and definitions in Spanish and English."""

from modeltranslation.translator import TranslationOptions, register

from .models import Indicator


@register(Indicator)
class IndicatorTranslation(TranslationOptions):
    fields = ("name", "definition")
