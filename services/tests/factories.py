"""factory_boy factories for services models; the catalogue itself comes from the data migration."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory
from services.models import Provider, ServiceDelivery, ServiceType


def service_type(code: str) -> ServiceType:
    """A type of the seeded catalogue (services/catalogue.py), by code."""
    return ServiceType.objects.get(code=code)


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_service_{n}")
    name = factory.LazyAttribute(lambda t: f"Servicio {t.code}")
    name_es = factory.LazyAttribute(lambda t: f"Servicio {t.code}")
    name_en = factory.LazyAttribute(lambda t: f"Service {t.code}")
    category = ServiceType.Category.POST_ARRIVAL_AID
    dimension = "social"
    unit = ServiceType.Unit.ITEM
    max_quantity = 5


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Proveedor {n}")
    kind = Provider.Kind.NGO


class ServiceDeliveryFactory(factory.django.DjangoModelFactory):
    """A stored delivery, for reads; writes under test go through services.actions."""

    class Meta:
        model = ServiceDelivery

    client_uuid = factory.LazyFunction(uuid.uuid4)
    person = factory.SubFactory(PersonFactory)
    center = factory.SubFactory(ReceptionCenterFactory)
    service_type = factory.LazyFunction(lambda: service_type("hygiene_kit"))
    delivered_on = factory.LazyAttribute(lambda d: d.center.local_now().date())
    quantity = 1
    recorded_by = factory.SubFactory(UserFactory)


def person_arrived(center, *, days_ago: int = 10, registered_by=None, **person_fields):
    """A person known at `center`, whose first arrival there was `days_ago` days ago."""
    from intake.tests.factories import ArrivalFactory

    person = PersonFactory(**person_fields)
    ArrivalFactory(
        person=person,
        center=center,
        arrived_at=timezone.now() - timedelta(days=days_ago),
        registered_by=registered_by or UserFactory(),
    )
    return person
