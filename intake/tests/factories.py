"""factory_boy factories for intake models."""

import uuid

import factory
from django.utils import timezone

from intake.models import Arrival
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory, country


class ArrivalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Arrival
        skip_postgeneration_save = True

    client_uuid = factory.LazyFunction(uuid.uuid4)
    person = factory.SubFactory(PersonFactory)
    center = factory.SubFactory(ReceptionCenterFactory)
    arrived_at = factory.LazyFunction(timezone.now)
    mode = Arrival.Mode.AIR
    returned_from = factory.LazyFunction(lambda: country("US"))
    transport_reference = "GUA-2026-001"
    registered_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def link_center(self, create, extracted, **kwargs):
        from registry.models import PersonCenter

        PersonCenter.objects.get_or_create(person=self.person, center=self.center)
