"""factory_boy factories for casework models; reference data comes from the data migrations."""

import factory
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from ..models import Consent, Country, DocumentType, Person, PersonCenter, ReceptionCenter


def country(iso2: str) -> Country:
    return Country.objects.get(iso2=iso2)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def centers(self, create, extracted, **kwargs):
        for center in extracted or []:
            assign_perm("registry.work_at_center", self, center)


class ReceptionCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReceptionCenter
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.LazyAttribute(lambda c: f"Centro {c.code}")
    name_es = factory.LazyAttribute(lambda c: f"Centro {c.code}")
    name_en = factory.LazyAttribute(lambda c: f"Centre {c.code}")
    country = factory.LazyFunction(lambda: country("GT"))
    kind = ReceptionCenter.Kind.AIR
    time_zone = "America/Guatemala"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    given_names = factory.Iterator(["María José", "Juan Carlos", "Ana Lucía", "José Luis"])
    first_surname = factory.Iterator(["López", "Hernández", "García", "Pérez"])
    second_surname = factory.Iterator(["Ramírez", "Castillo", "Morales", "Vásquez"])
    sex = Person.Sex.FEMALE
    birth_date = factory.Faker("date_of_birth", minimum_age=18, maximum_age=60)
    nationality = factory.LazyFunction(lambda: country("GT"))
    document_type = factory.LazyFunction(lambda: DocumentType.objects.get(code="passport"))
    document_number = factory.Sequence(lambda n: f"P{n:08d}")

    @factory.post_generation
    def centers(self, create, extracted, **kwargs):
        for center in extracted or []:
            PersonCenter.objects.get_or_create(person=self, center=center)


def consent_given(person: Person, kind: str, *, by, granted: bool = True) -> Consent:
    """An answer to one consent, recorded now by `by` (the tests' shortcut for the consents an
    intake records)."""
    return Consent.objects.create(person=person, kind=kind, granted=granted, recorded_by=by)
