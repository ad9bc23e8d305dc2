"""Every create, change and delete of a person's records, and every view of a person, is audited
with who did it; nobody can edit or delete an audit entry.

Refusals in the admin (superusers included) are in tests/test_self_escalation.py; the person
page's access entry in casework/tests/test_person_detail.py.
"""

import uuid
from datetime import timedelta

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework import actions
from casework.models import CaseGoal, FollowUp
from intake.actions import arrival_register
from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry import actions as registry_actions
from registry.models import ClosureReason, Consent, Partner, Person, ServiceLine
from registry.tests.factories import PersonFactory, UserFactory, consent_given, country

pytestmark = pytest.mark.django_db

CREATE, UPDATE, DELETE, ACCESS = (
    LogEntry.Action.CREATE,
    LogEntry.Action.UPDATE,
    LogEntry.Action.DELETE,
    LogEntry.Action.ACCESS,
)


def entries(instance, action):
    return LogEntry.objects.get_for_object(instance).filter(action=action)


def assert_logged(instance, action, actor) -> LogEntry:
    found = list(entries(instance, action))
    assert found, f"no {LogEntry.Action(action).label} entry for {instance!r}"
    assert {entry.actor for entry in found} == {actor}
    return found[-1]


def person_data(**overrides):
    data = {
        "given_names": "Rosa Elena",
        "first_surname": "Tzul",
        "second_surname": "",
        "sex": Person.Sex.FEMALE,
        "nationality": country("GT"),
        "document_type": _passport(),
        "document_number": "AUD123456",
    }
    data.update(overrides)
    return data


def _passport():
    from registry.models import DocumentType

    return DocumentType.objects.get(code="passport")


def test_person_create_and_change_are_logged_with_the_actor(caseworker, center_a):
    with set_actor(caseworker):
        person = registry_actions.person_register(
            actor=caseworker, center=center_a, person_id=uuid.uuid4(), data=person_data()
        ).person
        registry_actions.person_correct(
            actor=caseworker,
            person_id=person.pk,
            data={"phone": "+502 5555 0101"},
            reason="Número nuevo",
            expected_version=1,
        )

    assert_logged(person, CREATE, caseworker)
    change = assert_logged(person, UPDATE, caseworker)
    assert "phone" in change.changes_dict


def test_arrival_create_and_change_are_logged(caseworker, supervisor, center_a):
    person = PersonFactory(centers=[center_a])
    with set_actor(caseworker):
        arrival = arrival_register(
            actor=caseworker,
            center=center_a,
            client_uuid=uuid.uuid4(),
            person=person,
            arrival_data={
                "arrived_at": timezone.now(),
                "mode": Arrival.Mode.AIR,
                "returned_from": country("US"),
                "intends_to_migrate_again": "no",
            },
        ).arrival
    assert_logged(arrival, CREATE, caseworker)

    # No action changes an arrival; the supervisor corrects one in the admin.
    with set_actor(supervisor):
        arrival.transport_reference = "GUA-CORR-1"
        arrival.save(update_fields=["transport_reference"])
    assert "transport_reference" in assert_logged(arrival, UPDATE, supervisor).changes_dict


def test_case_note_referral_and_follow_up_writes_are_logged(caseworker, supervisor, center_a):
    person = PersonFactory(centers=[center_a])
    Consent.objects.create(
        person=person, kind=Consent.Kind.SHARE_WITH_PARTNERS, granted=True, recorded_by=caseworker
    )
    line = ServiceLine.objects.filter(active=True).first()
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(line)
    with set_actor(caseworker):
        case = actions.case_open(actor=caseworker, person=person, center=center_a).case
        note = actions.note_add(actor=caseworker, case=case, text="Primera entrevista.").note
        referral = actions.referral_create(
            actor=caseworker, case=case, partner=partner, service_line=line
        ).referral
        actions.referral_set_status(actor=caseworker, referral=referral, status="accepted")
        consent_given(person, Consent.Kind.FOLLOW_UP_CONTACT, by=caseworker)
        follow_up = actions.follow_up_schedule(
            actor=caseworker, case=case, due_date=timezone.localdate() + timedelta(days=30)
        )
        actions.follow_up_complete(actor=caseworker, follow_up=follow_up, outcome="reached")
        goal = actions.goal_add(
            actor=caseworker, case=case, dimension="economic", description="Empleo formal"
        )
    with set_actor(supervisor):
        actions.case_close(
            actor=supervisor,
            case=case,
            reason=ClosureReason.objects.filter(active=True).first(),
            expected_version=case.version,
        )

    assert_logged(case, CREATE, caseworker)
    assert "status" in assert_logged(case, UPDATE, supervisor).changes_dict
    assert_logged(note, CREATE, caseworker)
    assert not entries(note, UPDATE).exists()  # notes are append-only
    assert_logged(referral, CREATE, caseworker)
    assert "status" in assert_logged(referral, UPDATE, caseworker).changes_dict
    assert_logged(follow_up, CREATE, caseworker)
    assert "outcome" in assert_logged(follow_up, UPDATE, caseworker).changes_dict
    assert_logged(goal, CREATE, caseworker)


def test_deletes_are_logged(caseworker, center_a):
    """No action deletes a person's records (they are voided or erased); whatever deletes one
    (the admin, a future erasure) still leaves an entry."""
    person = PersonFactory(centers=[])
    with set_actor(caseworker):
        case = actions.case_open(
            actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
        ).case
        follow_up = FollowUp.objects.create(
            case=case, due_date=timezone.localdate(), created_by=caseworker
        )
        goal = CaseGoal.objects.create(
            case=case, dimension="social", description="Red de apoyo", created_by=caseworker
        )
        for instance in (person, follow_up, goal):
            pk = instance.pk
            instance.delete()
            instance.pk = pk
            assert_logged(instance, DELETE, caseworker)


def test_viewing_a_person_through_the_api_and_the_arrival_page_is_logged(caseworker, center_a):
    person = PersonFactory(centers=[center_a])
    arrival = ArrivalFactory(person=person, center=center_a)
    api = APIClient()
    api.force_authenticate(caseworker)
    assert api.get(f"/api/v1/persons/{person.pk}/").status_code == 200
    web = APIClient()
    web.force_login(caseworker)
    assert web.get(reverse("intake:arrival_detail", kwargs={"pk": arrival.pk})).status_code == 200

    assert entries(person, ACCESS).count() == 2
    assert {entry.actor for entry in entries(person, ACCESS)} == {caseworker}


def test_an_api_create_names_the_token_user(caseworker, center_a):
    from rest_framework.authtoken.models import Token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=caseworker).key}")
    person_id = str(uuid.uuid4())
    response = api.post(
        "/api/v1/persons/",
        {
            "id": person_id,
            "center": center_a.code,
            "given_names": "Rosa",
            "first_surname": "Tzul",
            "sex": "female",
            "nationality": "GT",
            "document_type": "passport",
            "document_number": "AUD654321",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert_logged(Person.objects.get(pk=person_id), CREATE, caseworker)


def test_no_api_route_reaches_audit_entries():
    from tests.access_matrix.test_meta import walk

    for route, _name, callback in walk():
        if not route.startswith("api/"):
            continue
        view_class = getattr(callback, "cls", None)
        queryset = getattr(view_class, "queryset", None)
        assert queryset is None or queryset.model is not LogEntry, route
        assert "audit" not in route and "logentr" not in route.replace("-", ""), route


def test_the_access_log_page_changes_nothing_whatever_the_method(client, supervisor, center_a):
    person = PersonFactory(centers=[center_a])
    client.force_login(supervisor)
    url = reverse("person_access_log", kwargs={"person_id": person.pk})
    client.get(reverse("person_detail", kwargs={"person_id": person.pk}))
    before = list(LogEntry.objects.order_by("pk").values_list("pk", "action", "changes_text"))

    for method in ("post", "put", "patch", "delete"):
        getattr(client, method)(url, {"changes": "{}", "action": DELETE})

    assert (
        list(LogEntry.objects.order_by("pk").values_list("pk", "action", "changes_text")) == before
    )


def test_not_even_a_superuser_can_add_an_audit_entry_in_the_admin(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    before = LogEntry.objects.count()

    response = client.post(reverse("admin:auditlog_logentry_add"), {"action": CREATE})

    assert response.status_code == 403
    assert LogEntry.objects.count() == before


# --- Reads of a person's data, at every door (issue 11, finding 7) ---------------------------


def token_client(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def access_actors(person) -> list:
    return [entry.actor for entry in entries(person, ACCESS)]


def test_the_api_arrival_detail_logs_one_access_naming_the_token_user(caseworker, center_a):
    arrival = ArrivalFactory(center=center_a)

    response = token_client(caseworker).get(f"/api/v1/arrivals/{arrival.pk}/")

    assert response.status_code == 200
    assert access_actors(arrival.person) == [caseworker]
    # The request's address still reaches the entry (AuditlogMiddleware).
    assert entries(arrival.person, ACCESS).get().remote_addr == "127.0.0.1"


def test_api_writes_name_the_token_user_and_leave_no_audit_receiver_behind(caseworker, center_a):
    """A token's user is known only once DRF authenticates, inside the request's audit context:
    naming them there must not nest a second context, which django-auditlog never fully
    disconnects (jazzband/django-auditlog#846): a pre_save receiver more per request, each
    called for every entry, for the life of the worker."""
    from django.db.models.signals import pre_save

    person = PersonFactory(centers=[center_a])
    api = token_client(caseworker)
    url = reverse("api-person-consents", args=[person.pk])
    receivers = len(pre_save.receivers)

    for granted in (False, True, False):
        body = {"consents": {"follow_up_contact": granted}}
        assert api.post(url, body, format="json", REMOTE_ADDR="192.0.2.9").status_code == 200

    assert len(pre_save.receivers) == receivers
    written = entries(Consent.objects.filter(person=person).latest("pk"), CREATE).get()
    assert (written.actor, written.remote_addr) == (caseworker, "192.0.2.9")


def test_the_api_person_detail_logs_one_access_naming_the_token_user(caseworker, center_a):
    person = PersonFactory(centers=[center_a])

    response = token_client(caseworker).get(f"/api/v1/persons/{person.pk}/")

    assert response.status_code == 200
    assert access_actors(person) == [caseworker]


def test_the_html_arrival_page_logs_one_access(client_a, caseworker, center_a):
    arrival = ArrivalFactory(center=center_a)

    response = client_a.get(reverse("intake:arrival_detail", kwargs={"pk": arrival.pk}))

    assert response.status_code == 200
    assert access_actors(arrival.person) == [caseworker]


def test_a_record_outside_the_users_scope_logs_nothing(caseworker, center_b):
    arrival = ArrivalFactory(center=center_b)

    response = token_client(caseworker).get(f"/api/v1/arrivals/{arrival.pk}/")

    assert response.status_code == 404
    assert access_actors(arrival.person) == []


@pytest.fixture
def listed(caseworker, center_a, center_b):
    """Three persons at centre A, each with an arrival an hour ago and a case assigned to the
    caseworker (so each shows twice on the home page); one person at centre B."""
    arrived_at = timezone.now() - timedelta(hours=1)
    shown = []
    for _ in range(3):
        arrival = ArrivalFactory(center=center_a, arrived_at=arrived_at)
        actions.case_open(
            actor=caseworker,
            person=arrival.person,
            center=center_a,
            arrival=arrival,
            assigned_to=caseworker,
        )
        shown.append(arrival.person)
    elsewhere = ArrivalFactory(center=center_b, arrived_at=arrived_at)
    LogEntry.objects.filter(action=ACCESS).delete()
    day = arrived_at.astimezone(center_a.tzinfo).date()
    return shown, elsewhere.person, day


def person_ids(rows, path: str) -> set[str]:
    return {row[path]["id"] if path else row["id"] for row in rows}


@pytest.mark.parametrize(
    ("url", "path"),
    [("/api/v1/persons/", ""), ("/api/v1/arrivals/", "person"), ("/api/v1/cases/", "person")],
    ids=["persons", "arrivals", "cases"],
)
def test_an_api_list_logs_one_access_per_person_shown(url, path, caseworker, listed):
    shown, elsewhere, _day = listed
    # A second arrival of the same person: shown twice in the arrivals list, logged once.
    ArrivalFactory(person=shown[0], center=shown[0].arrivals.get().center)

    response = token_client(caseworker).get(url)

    assert response.status_code == 200
    assert person_ids(response.json()["results"], path) == {str(p.pk) for p in shown}
    for person in shown:
        assert access_actors(person) == [caseworker]
    assert access_actors(elsewhere) == []


def test_an_api_list_logs_only_the_persons_on_the_page(caseworker, center_a):
    for _ in range(27):
        PersonFactory(centers=[center_a])
    LogEntry.objects.filter(action=ACCESS).delete()

    page = token_client(caseworker).get("/api/v1/persons/").json()

    logged = set(LogEntry.objects.filter(action=ACCESS).values_list("object_pk", flat=True))
    assert logged == person_ids(page["results"], "")
    assert len(logged) == 25 < page["count"]


@pytest.mark.parametrize("name", ["intake:arrival_list", "cases:case_list", "home"])
def test_an_html_list_logs_one_access_per_person_shown(name, client_a, caseworker, listed):
    shown, elsewhere, day = listed

    response = client_a.get(reverse(name), {"day": day.isoformat()} if "arrival" in name else {})

    assert response.status_code == 200
    content = response.content.decode()
    for person in shown:
        assert person.full_name in content
        assert access_actors(person) == [caseworker]
    assert access_actors(elsewhere) == []


def test_a_lists_access_entries_name_each_person_by_key_never_by_name(client_a, caseworker, listed):
    """The entries of a list are written by the database from one entry (persons_viewed): each
    still names its own person by key, the client's address and the actor, and no name."""
    shown, _elsewhere, day = listed

    client_a.get(reverse("intake:arrival_list"), {"day": day.isoformat()}, REMOTE_ADDR="192.0.2.7")

    logged = LogEntry.objects.filter(action=ACCESS).select_related("content_type")
    assert sorted(
        (e.object_pk, e.object_repr, e.object_id, e.remote_addr, e.actor, e.content_type.model)
        for e in logged
    ) == sorted((str(p.pk), str(p.pk), None, "192.0.2.7", caseworker, "person") for p in shown)
    assert not any(p.given_names in str(e.changes) for e in logged for p in shown)


def test_hundreds_of_persons_shown_are_logged_in_one_statement(
    caseworker, django_assert_num_queries
):
    """A flight's handout lists hundreds: more than SQLite's 500 terms of a compound SELECT."""
    from registry.audit import persons_viewed

    shown = [Person(pk=uuid.uuid4()) for _ in range(700)]
    ContentType.objects.get_for_model(Person)  # cached, as in any request after the first

    with django_assert_num_queries(1):
        persons_viewed([*shown, shown[0]], actor=caseworker)

    logged = LogEntry.objects.filter(action=ACCESS).values_list("object_pk", flat=True)
    assert sorted(logged) == sorted(str(p.pk) for p in shown)


# --- every other screen that shows a person's names -------------------------------------------


def test_proposing_a_person_as_a_possible_match_logs_an_access(caseworker, center_a):
    known = PersonFactory(
        given_names="Dilcia", first_surname="Paz", birth_date="1990-05-01", centers=[center_a]
    )
    stranger = PersonFactory(
        given_names="Óscar", first_surname="Mejía", birth_date="1970-01-01", centers=[center_a]
    )

    response = token_client(caseworker).get(
        "/api/v1/duplicate-candidates/",
        {"given_names": "Dilcia", "first_surname": "Paz", "birth_date": "1990-05-01"},
    )

    assert response.status_code == 200
    assert [row["person_id"] for row in response.json()["results"]] == [str(known.pk)]
    assert access_actors(known) == [caseworker]
    assert access_actors(stranger) == []


def test_the_registration_done_page_logs_an_access(client_a, caseworker, center_a):
    arrival = ArrivalFactory(center=center_a, registered_by=caseworker)

    response = client_a.get(
        reverse("intake:register_done", kwargs={"client_uuid": arrival.client_uuid})
    )

    assert response.status_code == 200
    assert access_actors(arrival.person) == [caseworker]


def test_the_distribution_page_logs_one_access_per_person_listed(client_a, caseworker, center_a):
    flight = [
        ArrivalFactory(center=center_a, registered_by=caseworker, transport_reference="TA-555")
        for _ in range(3)
    ]
    other = ArrivalFactory(center=center_a, registered_by=caseworker, transport_reference="X-1")
    day = timezone.localtime(flight[0].arrived_at, center_a.tzinfo).date()

    response = client_a.get(reverse("services:distribution"), {"flight": "TA-555", "day": day})

    assert response.status_code == 200
    for arrival in flight:
        assert access_actors(arrival.person) == [caseworker]
    assert access_actors(other.person) == []


def test_an_arrival_registered_writes_its_entries_in_one_insert_each_complete(caseworker, center_a):
    """The five entries of a registration (person, arrival, its reasons, the centre link, the
    consent) are held until the action returns and written together, each with the actor,
    the address and no personal value, as one by one before (registry.audit.audited_together)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from intake.tests.test_api_arrivals import arrival_body

    api = APIClient()
    api.force_authenticate(caseworker)
    with CaptureQueriesContext(connection) as captured:
        response = api.post(
            "/api/v1/arrivals/", arrival_body(), format="json", REMOTE_ADDR="10.1.2.3"
        )

    assert response.status_code == 201, response.json()
    inserts = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('INSERT INTO "auditlog_logentry"')
    ]
    assert len(inserts) == 2  # the action's entries, then the answer's access entry
    arrival = Arrival.objects.get(pk=response.json()["id"])
    person = arrival.person
    written = [
        assert_logged(person, CREATE, caseworker),
        assert_logged(arrival, CREATE, caseworker),
        assert_logged(arrival, UPDATE, caseworker),  # its reasons
        assert_logged(person.center_links.get(), CREATE, caseworker),
        assert_logged(person.consents.get(), CREATE, caseworker),
    ]
    for entry in written:
        assert entry.remote_addr == "10.1.2.3"
        assert entry.object_repr == entry.object_pk  # no name in the entry
        assert "María" not in str(entry.changes)


def test_an_action_that_fails_writes_none_of_its_entries(caseworker, center_a):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from registry.audit import audited_together

    @transaction.atomic
    @audited_together
    def register_then_refuse():
        PersonFactory(given_names="Held", centers=[center_a])
        raise ValidationError("refused after a save")

    before = LogEntry.objects.count()
    with set_actor(caseworker), pytest.raises(ValidationError):
        register_then_refuse()
    assert LogEntry.objects.count() == before
    assert not Person.objects.filter(given_names="Held").exists()

    with set_actor(caseworker):  # outside any action, entries are written as they come
        later = PersonFactory(given_names="Later")
    assert_logged(later, CREATE, caseworker)


def test_entries_written_by_the_database_need_integer_keys(caseworker):
    """rows_created copies each row's key as text in SQL: a uuid's text is not str(uuid) on
    SQLite (32 hex digits), so a person's entries would name no record; it refuses instead."""
    from registry.audit import rows_created

    with pytest.raises(TypeError, match="integer keys"):
        rows_created(Person.objects.all(), actor=caseworker, fields=["given_names"])
