"""The world of the access matrix: two centres, one user per role, records at A, at B and restricted.

Records are made through the actions (not factories) where the action sets up access, so
that a restricted case is opened to exactly the people `case_open` opens it to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from casework import actions
from intake.models import DuplicatePair
from intake.tests.factories import ArrivalFactory
from registry.models import Consent, Partner, PersonMerge, ServiceLine
from registry.tests.factories import (
    PersonFactory,
    ReceptionCenterFactory,
    UserFactory,
    consent_given,
    country,
)
from services.actions import service_delivery_record
from services.models import ServiceType

ROLES = (
    "anonymous",
    "caseworker_a",
    "colleague_a",
    "supervisor_a",
    "programme_manager",
    "donor_reviewer",
    "administrator",
    "outsider_b",
)
RECORDS = ("own", "other", "restricted")
PHONES = {"own": "+502 5101 7302", "other": "+502 5202 7302", "restricted": "+502 5303 7302"}


@dataclass
class Records:
    """One person's records at one centre: the things a route can point at."""

    person: object
    arrival: object
    case: object
    note: object
    referral: object
    follow_up: object
    goal: object
    delivery: object
    merge: object = None  # an earlier record of the person, merged into this one
    pair: object = None  # a possible duplicate: this person and another
    # Strings only those who may open the person (or the case) may ever see in a response.
    person_secrets: tuple[str, ...] = ()
    case_secrets: tuple[str, ...] = ()


@dataclass
class World:
    center_a: object
    center_b: object
    users: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)
    partner: object = None
    service_line: object = None
    service_type: object = None

    def user(self, role: str):
        return self.users.get(role)


def _role_user(username: str, role: str | None, centers=(), **extra):
    user = UserFactory(username=username, centers=list(centers), **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def _records(world: World, *, center, actor, tag: str, restricted: bool = False) -> Records:
    person = PersonFactory(
        given_names=f"Persona {tag}",
        first_surname="Matriz",
        document_number=f"DOC{tag.upper()}7301",
        phone=PHONES[tag],
        centers=[center],
    )
    arrival = ArrivalFactory(
        person=person,
        center=center,
        registered_by=actor,
        transport_reference=f"VUELO-{tag.upper()}",
        needs=f"needs-{tag}-secret",
    )
    Consent.objects.create(
        person=person, kind=Consent.Kind.SHARE_WITH_PARTNERS, granted=True, recorded_by=actor
    )
    case = actions.case_open(
        actor=actor, person=person, center=center, arrival=arrival, restricted=restricted
    ).case
    case = actions.case_assess(
        actor=actor,
        case=case,
        vulnerabilities=[],
        psychosocial_needs=f"psychosocial-{tag}-secret",
        expected_version=case.version,
    )
    note = actions.note_add(actor=actor, case=case, text=f"note-{tag}-secret").note
    referral = actions.referral_create(
        actor=actor,
        case=case,
        partner=world.partner,
        service_line=world.service_line,
        reason=f"referral-{tag}-secret",
    ).referral
    consent_given(case.person, Consent.Kind.FOLLOW_UP_CONTACT, by=actor)
    follow_up = actions.follow_up_schedule(
        actor=actor,
        case=case,
        due_date=timezone.localdate() + timedelta(days=30),
        purpose=f"followup-{tag}-secret",
    )
    goal = actions.goal_add(
        actor=actor, case=case, dimension="economic", description=f"goal-{tag}-secret"
    )
    delivery = service_delivery_record(
        actor=actor,
        person=person,
        center=center,
        case=case,
        service_type=world.service_type,
        delivered_on=center.local_now().date(),
    ).delivery
    duplicate = PersonFactory(given_names=f"Duplicado {tag}", first_surname="Matriz")
    duplicate.merged_into = person
    duplicate.save(update_fields=["merged_into"])
    merge = PersonMerge.objects.create(
        survivor=person, merged=duplicate, reason=f"merge-{tag}", merged_by=actor
    )
    return Records(
        person,
        arrival,
        case,
        note,
        referral,
        follow_up,
        goal,
        delivery,
        merge,
        person_secrets=(person.document_number, person.phone, arrival.needs),
        case_secrets=(case.number, note.text, case.psychosocial_needs, goal.description),
    )


def _pair(a, b):
    first, second = (a, b) if a.pk.int < b.pk.int else (b, a)
    return DuplicatePair.objects.create(first=first, second=second, score=87)


def build_world() -> World:
    center_a = ReceptionCenterFactory(code="CA", name_es="Centro A", name_en="Centre A")
    center_b = ReceptionCenterFactory(code="CB", name_es="Centro B", name_en="Centre B")
    world = World(center_a=center_a, center_b=center_b)
    world.service_line = ServiceLine.objects.filter(active=True).first()
    world.partner = Partner.objects.create(
        name="Socio de prueba", kind=Partner.Kind.NGO, country=country("GT")
    )
    world.partner.service_lines.add(world.service_line)
    world.service_type = ServiceType.objects.filter(
        active=True, category=ServiceType.Category.POST_ARRIVAL_AID
    ).first()

    users = world.users
    users["anonymous"] = None
    users["caseworker_a"] = _role_user("caseworker_a", "caseworker", [center_a])
    users["colleague_a"] = _role_user("colleague_a", "caseworker", [center_a])
    users["supervisor_a"] = _role_user("supervisor_a", "supervisor", [center_a])
    programme = Group.objects.create(name="Programa Norte")
    assign_perm("registry.view_center_records", programme, center_a)
    manager = _role_user("programme_manager", "programme_manager")
    manager.groups.add(programme)
    users["programme_manager"] = manager
    users["donor_reviewer"] = _role_user("donor_reviewer", "donor_reviewer")
    users["administrator"] = _role_user("administrator", "administrator", is_staff=True)
    users["outsider_b"] = _role_user("outsider_b", "caseworker", [center_b])

    # Caseworker A is assigned to both cases at A; the colleague works at A, assigned to neither.
    # The supervisor exists before the restricted case is opened, so case_open opens it to them.
    world.records["own"] = _records(world, center=center_a, actor=users["caseworker_a"], tag="own")
    world.records["other"] = _records(
        world, center=center_b, actor=users["outsider_b"], tag="other"
    )
    world.records["restricted"] = _records(
        world, center=center_a, actor=users["caseworker_a"], tag="restricted", restricted=True
    )
    # Possible duplicates: the two persons at A; B's person with A's (nobody reads both).
    own, other, restricted = (world.records[tag].person for tag in ("own", "other", "restricted"))
    world.records["own"].pair = world.records["restricted"].pair = _pair(own, restricted)
    world.records["other"].pair = _pair(other, own)
    # A released period, for the donor API's detail route (a donor gets nothing else).
    from reporting.tests.conftest import release

    from .routes import RELEASED_PERIOD

    release(RELEASED_PERIOD)
    return world


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """The world, built once per test module inside a transaction rolled back at its end.

    Each test runs in a savepoint inside it (pytest-django's `db`), so what a test writes is
    undone before the next one, and building the world (about a second) is not paid per case.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(module_world, db) -> World:
    return module_world
