"""The tablet intake flow, today's arrivals and an arrival's page, as a caseworker uses them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry.models import (
    Consent,
    Country,
    Department,
    DocumentType,
    MigrationReason,
    Municipality,
    Person,
)
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(frozen_clock):
    """Today's arrivals are counted in the centre's local day: never let a test cross midnight."""


GUATEMALA = timezone.get_fixed_timezone(-6 * 60)


@pytest.fixture(autouse=True)
def ref(db):
    return reference_rows()


def reference_rows():
    """The few reference rows the flow needs, whether or not the reference data migration ran."""
    gt, _ = Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True, "sort_order": 1}
    )
    us, _ = Country.objects.get_or_create(
        iso2="US", defaults={"name": "Estados Unidos", "sort_order": 10}
    )
    mx, _ = Country.objects.get_or_create(iso2="MX", defaults={"name": "México", "sort_order": 11})
    passport, _ = DocumentType.objects.get_or_create(
        code="passport",
        defaults={"name": "Pasaporte", "number_pattern": r"^[A-Z0-9]{5,12}$", "sort_order": 4},
    )
    dpi, _ = DocumentType.objects.get_or_create(
        code="dpi",
        defaults={"name": "DPI", "country": gt, "number_pattern": r"^[0-9]{13}$", "sort_order": 1},
    )
    none, _ = DocumentType.objects.get_or_create(
        code="none", defaults={"name": "Sin documento", "requires_number": False, "sort_order": 6}
    )
    economic, _ = MigrationReason.objects.get_or_create(
        code="economic", defaults={"name": "Razones económicas", "sort_order": 1}
    )
    violence, _ = MigrationReason.objects.get_or_create(
        code="violence", defaults={"name": "Violencia o inseguridad", "sort_order": 2}
    )
    dept1, muni1 = _department_with_municipality(gt, "T1")
    dept2, muni2 = _department_with_municipality(gt, "T2")
    return SimpleNamespace(
        gt=gt,
        us=us,
        mx=mx,
        passport=passport,
        dpi=dpi,
        none=none,
        economic=economic,
        violence=violence,
        dept1=dept1,
        muni1=muni1,
        dept2=dept2,
        muni2=muni2,
    )


def _department_with_municipality(country, suffix):
    department, _ = Department.objects.get_or_create(
        iso_code=f"GT-{suffix}",
        defaults={
            "country": country,
            "pcode": f"GTX{suffix}",
            "national_code": suffix,
            "name": f"Departamento {suffix}",
        },
    )
    municipality, _ = Municipality.objects.get_or_create(
        pcode=f"GTX{suffix}01",
        defaults={"department": department, "national_code": "01", "name": f"Municipio {suffix}"},
    )
    return department, municipality


@pytest.fixture
def en(client):
    """English UI, so that messages can be compared with the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def person_data(ref, **changes):
    data = {
        "given_names": "José Ñoño",
        "first_surname": "Güemes",
        "second_surname": "Ávila",
        "sex": "male",
        "birth_date": "1991-04-23",
        "age_years": "",
        "nationality": ref.gt.pk,
        "document_type": ref.passport.pk,
        "document_number": "X1234567",
    }
    data.update(changes)
    return data


def arrival_data(ref, **changes):
    local = timezone.localtime(timezone.now() - timedelta(hours=1), GUATEMALA)
    data = {
        "arrival_date": local.date().isoformat(),
        "arrival_time": local.strftime("%H:%M"),
        "mode": "air",
        "returned_from": ref.us.pk,
        "transport_reference": "GUA-2026-117",
        "travel_group": "alone",
        "reasons": [ref.economic.pk, ref.violence.pk],
        "intends_to_migrate_again": "undecided",
        "needs": "Necesita transporte a Cobán",
        "protection_concerns": "",
    }
    data.update(changes)
    return data


CONSENTS = {
    "process_data": "yes",
    "share_with_partners": "no",
    "follow_up_contact": "yes",
    "anonymised_statistics": "yes",
}


def step_url(client_uuid, step):
    return reverse(f"intake:register_{step}", kwargs={"client_uuid": client_uuid})


def start(client, query=""):
    response = client.get(reverse("intake:register_start") + query)
    assert response.status_code == 302
    client_uuid = uuid.UUID(response["Location"].split("/")[-3])
    return client_uuid, response["Location"]


def register_new(client, ref, *, person=None, arrival=None, origin=None):
    client_uuid, location = start(client)
    assert location == step_url(client_uuid, "person")
    response = client.post(location, person or person_data(ref))
    assert response["Location"] == step_url(client_uuid, "origin")
    response = client.post(
        step_url(client_uuid, "origin"),
        origin
        or {
            "origin_department": ref.dept1.pk,
            "origin_municipality": ref.muni1.pk,
            "language": "Q'eqchi'",
            "phone": "+502 5555 1234",
        },
    )
    assert response["Location"] == step_url(client_uuid, "arrival")
    response = client.post(step_url(client_uuid, "arrival"), arrival or arrival_data(ref))
    assert response["Location"] == step_url(client_uuid, "consents")
    response = client.post(step_url(client_uuid, "consents"), CONSENTS)
    assert response["Location"] == step_url(client_uuid, "done")
    return client_uuid


# --- the whole flow -------------------------------------------------------------------------


def test_full_wizard_registers_a_new_person_an_arrival_and_four_consents(
    client_a, ref, center_a, caseworker
):
    client_uuid = register_new(client_a, ref)

    arrival = Arrival.objects.get(client_uuid=client_uuid)
    person = arrival.person
    assert (person.given_names, person.first_surname, person.second_surname) == (
        "José Ñoño",
        "Güemes",
        "Ávila",
    )
    assert person.birth_date == date(1991, 4, 23)
    assert (person.origin_department, person.origin_municipality) == (ref.dept1, ref.muni1)
    assert person.language == "Q'eqchi'"
    assert arrival.center == center_a
    assert arrival.registered_by == caseworker
    assert set(arrival.reasons.all()) == {ref.economic, ref.violence}
    assert arrival.transport_reference == "GUA-2026-117"
    local = timezone.localtime(arrival.arrived_at, center_a.tzinfo)
    expected = arrival_data(ref)
    assert local.date().isoformat() == expected["arrival_date"]
    assert local.strftime("%H:%M") == expected["arrival_time"]
    consents = {c.kind: c.granted for c in Consent.objects.filter(person=person)}
    assert consents == {
        "process_data": True,
        "share_with_partners": False,
        "follow_up_contact": True,
        "anonymised_statistics": True,
    }

    done = client_a.get(step_url(client_uuid, "done"))
    assert done.status_code == 200
    assert "José Ñoño Güemes Ávila" in done.content.decode()


def test_the_person_screen_offers_the_centre_country_as_nationality(client_a, ref):
    client_uuid, location = start(client_a)
    response = client_a.get(location)
    assert response.status_code == 200
    assert f'<option value="{ref.gt.pk}" selected>' in response.content.decode()


def test_an_age_instead_of_a_date_of_birth_gives_an_estimated_date(client_a, ref):
    client_uuid = register_new(
        client_a, ref, person=person_data(ref, birth_date="", age_years="34")
    )
    person = Arrival.objects.get(client_uuid=client_uuid).person
    assert person.birth_date_estimated is True
    assert person.age_on(timezone.localdate()) in (33, 34)


def test_a_person_of_another_nationality_has_no_department_to_choose(client_a, ref):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref, nationality=ref.mx.pk))
    response = client_a.get(step_url(client_uuid, "origin"))
    assert response.status_code == 200
    assert 'name="origin_department"' not in response.content.decode()
    assert 'name="phone"' in response.content.decode()


def test_the_department_button_shows_its_municipalities_without_errors(client_a, ref):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    response = client_a.post(
        step_url(client_uuid, "origin"), {"origin_department": ref.dept2.pk, "refresh": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{ref.muni2.pk}">' in page
    assert f'<option value="{ref.muni1.pk}">' not in page
    assert 'role="alert"' not in page


def test_a_user_with_several_centres_chooses_one(client, ref, center_a, center_b):
    user = UserFactory(username="two_centres", centers=[center_a, center_b])
    client.force_login(user)
    client_uuid, location = start(client)
    assert location == step_url(client_uuid, "center")
    response = client.post(location, {"center": center_b.pk})
    assert response["Location"] == step_url(client_uuid, "person")
    client.post(step_url(client_uuid, "person"), person_data(ref))
    client.post(step_url(client_uuid, "origin"), {})
    client.post(step_url(client_uuid, "arrival"), arrival_data(ref))
    client.post(step_url(client_uuid, "consents"), CONSENTS)
    assert Arrival.objects.get(client_uuid=client_uuid).center == center_b


def test_a_later_screen_cannot_be_reached_before_the_earlier_ones(client_a, ref):
    client_uuid, _ = start(client_a)
    response = client_a.get(step_url(client_uuid, "consents"))
    assert response["Location"] == step_url(client_uuid, "person")


# --- recognising someone who returned before --------------------------------------------------


@pytest.fixture
def returned_before(ref, center_a, colleague):
    person = PersonFactory(
        given_names="María José",
        first_surname="López",
        second_surname="Ramírez",
        birth_date=date(1990, 5, 4),
        document_type=ref.passport,
        document_number="P7654321",
        phone="+502 4444 9876",
        language="Mam",
        centers=[center_a],
    )
    ArrivalFactory(
        person=person,
        center=center_a,
        registered_by=colleague,
        arrived_at=timezone.now() - timedelta(days=60),
        protection_concerns="Amenazas de pandilla",
    )
    return person


def _match_screen(client, ref):
    client_uuid, location = start(client)
    response = client.post(
        location,
        person_data(
            ref,
            given_names="Maria Jose",
            first_surname="Lopez",
            second_surname="",
            sex="female",
            birth_date="1990-05-04",
            document_type=ref.none.pk,
            document_number="",
        ),
    )
    assert response["Location"] == step_url(client_uuid, "matches")
    return client_uuid


def test_possible_matches_show_recognition_facts_only(en, client_a, ref, returned_before):
    client_uuid = _match_screen(client_a, ref)
    page = client_a.get(step_url(client_uuid, "matches")).content.decode()
    assert "María José López Ramírez" in page
    assert "…4321" in page
    assert "Returned before: the last time on" in page
    assert "Centro A" in page or "Centre A" in page
    # How many times someone returned is not a recognition fact (issue 11, finding 10).
    assert "Returns registered" not in page and "return number" not in page
    assert "This is the person" in page and "None of these: new person" in page
    for private in ("4444 9876", "Mam", "Amenazas", "P7654321"):
        assert private not in page


def test_choosing_a_match_links_the_arrival_to_that_person(client_a, ref, returned_before):
    persons_before = Person.objects.count()
    client_uuid = _match_screen(client_a, ref)
    response = client_a.post(step_url(client_uuid, "matches"), {"choice": str(returned_before.pk)})
    assert response["Location"] == step_url(client_uuid, "arrival")
    client_a.post(step_url(client_uuid, "arrival"), arrival_data(ref))
    response = client_a.post(step_url(client_uuid, "consents"), CONSENTS)

    assert response["Location"] == step_url(client_uuid, "done")
    assert Person.objects.count() == persons_before
    assert Arrival.objects.get(client_uuid=client_uuid).person == returned_before
    assert returned_before.arrivals.count() == 2


def test_none_of_these_goes_on_to_register_a_new_person(client_a, ref, returned_before):
    client_uuid = _match_screen(client_a, ref)
    response = client_a.post(step_url(client_uuid, "matches"), {"choice": "new"})
    assert response["Location"] == step_url(client_uuid, "origin")


def test_a_made_up_person_id_is_not_accepted_as_a_match(en, client_a, ref, returned_before):
    client_uuid = _match_screen(client_a, ref)
    response = client_a.post(step_url(client_uuid, "matches"), {"choice": str(uuid.uuid4())})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


# --- retries ----------------------------------------------------------------------------------


def test_a_repeated_final_post_records_one_arrival(client_a, ref):
    client_uuid = register_new(client_a, ref)
    again = client_a.post(step_url(client_uuid, "consents"), CONSENTS)
    assert again.status_code == 302
    assert again["Location"] == step_url(client_uuid, "done")
    assert Arrival.objects.filter(client_uuid=client_uuid).count() == 1
    assert Arrival.objects.count() == 1


def test_a_retry_from_a_session_that_lost_the_draft_goes_to_the_result(client, ref, caseworker):
    client.force_login(caseworker)
    client_uuid = register_new(client, ref)
    client.logout()
    client.force_login(caseworker)
    retry = client.post(step_url(client_uuid, "consents"), CONSENTS)
    assert retry["Location"] == step_url(client_uuid, "done")
    assert Arrival.objects.count() == 1


def test_the_final_post_calls_arrival_register_once_with_the_client_uuid(
    client_a, ref, monkeypatch
):
    import intake.views

    calls = []
    real = intake.views.arrival_register

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(intake.views, "arrival_register", spy)
    client_uuid = register_new(client_a, ref)
    client_a.post(step_url(client_uuid, "consents"), CONSENTS)
    assert len(calls) == 1
    assert calls[0]["client_uuid"] == client_uuid
    assert calls[0]["request_fingerprint"] == ""


# --- families ---------------------------------------------------------------------------------


def test_another_member_of_a_family_shares_the_trip_and_the_family_group(en, client_a, ref):
    first = register_new(client_a, ref, arrival=arrival_data(ref, travel_group="family_unit"))
    done = client_a.get(step_url(first, "done")).content.decode()
    assert "Register another member of this family" in done
    assert f"?after={first}" in done

    second, location = start(client_a, f"?after={first}")
    client_a.post(location, person_data(ref, given_names="Ana", document_number="X7654321"))
    client_a.post(step_url(second, "origin"), {})
    arrival_page = client_a.get(step_url(second, "arrival")).content.decode()
    assert 'value="GUA-2026-117"' in arrival_page
    assert re.search(r'value="family_unit"[^>]*checked', arrival_page)
    client_a.post(step_url(second, "arrival"), arrival_data(ref, travel_group="family_unit"))
    client_a.post(step_url(second, "consents"), CONSENTS)

    a, b = Arrival.objects.get(client_uuid=first), Arrival.objects.get(client_uuid=second)
    assert a.family_group is not None
    assert a.family_group == b.family_group
    assert a.person != b.person


def test_someone_travelling_alone_has_no_family_group(client_a, ref):
    client_uuid = register_new(client_a, ref)
    assert Arrival.objects.get(client_uuid=client_uuid).family_group is None


# --- validation -------------------------------------------------------------------------------


def _future(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


PERSON_ERRORS = [
    ("birth_date", {"birth_date": "2999-01-01"}, "The date of birth cannot be in the future."),
    ("birth_date", {"birth_date": "1900-01-01"}, "The age cannot be over 110 years."),
    ("birth_date", {"birth_date": "0001-01-01"}, "cannot be before 01/01/1900."),
    ("birth_date", {"birth_date": "9999-12-31"}, "The date of birth cannot be in the future."),
    ("age_years", {"birth_date": "", "age_years": "111"}, "less than or equal to 110"),
    ("birth_date", {"birth_date": "", "age_years": ""}, "Enter the date of birth or the age"),
    ("birth_date", {"birth_date": "31/02/1990"}, "Enter a valid date."),
    ("given_names", {"given_names": ""}, "This field is required."),
    ("given_names", {"given_names": "   "}, "This field is required."),
    ("given_names", {"given_names": "Ñ" * 10_000}, "at most 150 characters"),
    ("first_surname", {"first_surname": "x" * 101}, "at most 100 characters"),
    ("document_number", {"document_number": "12AB"}, "does not have the format"),
    ("document_number", {"document_number": ""}, "Enter the document number."),
    ("sex", {"sex": "robot"}, "Select a valid choice."),
]


@pytest.mark.parametrize(("field", "changes", "message"), PERSON_ERRORS)
def test_person_errors_are_shown_on_the_field_with_the_typed_values(
    en, client_a, ref, field, changes, message
):
    client_uuid, location = start(client_a)
    data = person_data(ref, **changes)
    response = client_a.post(location, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert 'role="alert"' in page and "There is a problem" in page
    assert f'href="#id_{field}"' in page
    assert 'value="Güemes"' in page or field == "first_surname"
    typed = data[field]
    if field != "sex" and typed.strip():
        assert f'value="{typed}"' in page
    assert not Person.objects.exists()


def test_a_dpi_number_must_have_thirteen_digits(en, client_a, ref):
    client_uuid, location = start(client_a)
    response = client_a.post(
        location, person_data(ref, document_type=ref.dpi.pk, document_number="2345 6789")
    )
    assert 'id="id_document_number_error"' in response.content.decode()
    response = client_a.post(
        location, person_data(ref, document_type=ref.dpi.pk, document_number="2345 67890 0101")
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("arrival_date", {"arrival_date": "DATE+3"}, "more than a day ahead"),
        ("arrival_date", {"arrival_date": "9999-12-31"}, "more than a day ahead"),
        ("arrival_date", {"arrival_date": "0001-01-01"}, "cannot be before 01/01/2000."),
        ("arrival_date", {"arrival_date": "1999-12-31"}, "cannot be before 01/01/2000."),
        ("arrival_date", {"arrival_date": ""}, "This field is required."),
        ("arrival_time", {"arrival_time": "25:99"}, "Enter a valid time."),
        ("transport_reference", {"transport_reference": "V" * 41}, "at most 40 characters"),
        ("needs", {"needs": "n" * 2001}, "at most 2000 characters"),
        ("returned_from", {"returned_from": "999999"}, "Select a valid choice."),
        ("mode", {"mode": ""}, "This field is required."),
    ],
)
def test_arrival_errors_are_shown_on_the_field(en, client_a, ref, field, changes, message):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    client_a.post(step_url(client_uuid, "origin"), {})
    if changes.get("arrival_date") == "DATE+3":
        changes = {"arrival_date": _future(3)}
    response = client_a.post(step_url(client_uuid, "arrival"), arrival_data(ref, **changes))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert f'href="#id_{field}"' in page
    assert 'value="GUA-2026-117"' in page or field == "transport_reference"


def test_an_unknown_department_is_refused(en, client_a, ref):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    response = client_a.post(step_url(client_uuid, "origin"), {"origin_department": "999999"})
    assert response.status_code == 200
    assert 'id="id_origin_department_error"' in response.content.decode()


def test_a_municipality_of_another_department_is_refused(en, client_a, ref):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    response = client_a.post(
        step_url(client_uuid, "origin"),
        {"origin_department": ref.dept1.pk, "origin_municipality": ref.muni2.pk},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_origin_municipality_error"' in page
    assert "The municipality is not in the chosen department." in page


def test_a_bad_phone_number_is_refused_and_kept(en, client_a, ref):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    response = client_a.post(step_url(client_uuid, "origin"), {"phone": "call me maybe"})
    page = response.content.decode()
    assert 'id="id_phone_error"' in page
    assert 'value="call me maybe"' in page


def test_every_consent_needs_an_answer(en, client_a, ref):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    client_a.post(step_url(client_uuid, "origin"), {})
    client_a.post(step_url(client_uuid, "arrival"), arrival_data(ref))
    response = client_a.post(step_url(client_uuid, "consents"), {"process_data": "yes"})
    assert response.status_code == 200
    assert 'id="id_share_with_partners_error"' in response.content.decode()
    assert not Arrival.objects.exists()


def test_errors_from_the_action_are_shown_on_the_screen_of_their_field(
    en, client_a, ref, monkeypatch
):
    import intake.views

    def refuse(**kwargs):
        raise ValidationError(
            {"document_number": ["Number already used."], "person": ["Person gone."]}
        )

    monkeypatch.setattr(intake.views, "arrival_register", refuse)
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    client_a.post(step_url(client_uuid, "origin"), {})
    client_a.post(step_url(client_uuid, "arrival"), arrival_data(ref))
    response = client_a.post(step_url(client_uuid, "consents"), CONSENTS)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_document_number_error"' in page and "Number already used." in page
    assert "Person gone." in page
    assert f'action="{step_url(client_uuid, "person")}"' in page
    assert 'value="X1234567"' in page


def test_errors_are_in_spanish_by_default(client_a, ref):
    client_uuid, location = start(client_a)
    response = client_a.post(location, person_data(ref, given_names=""))
    page = response.content.decode()
    assert 'id="id_given_names_error"' in page
    assert "Este campo es" in page  # Django's own Spanish: "Este campo es requerido."
    assert "This field is required." not in page


def test_an_arrival_in_year_1_is_refused_in_spanish_and_never_registered(client_a, ref):
    # It was stored, and its page and its person's page then answered 500 for ever.
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    client_a.post(step_url(client_uuid, "origin"), {})
    response = client_a.post(
        step_url(client_uuid, "arrival"), arrival_data(ref, arrival_date="0001-01-01")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_arrival_date_error"' in page
    assert "La fecha de llegada no puede ser anterior al 01/01/2000." in page
    assert client_a.post(step_url(client_uuid, "consents"), CONSENTS).status_code == 302
    assert not Arrival.objects.exists()
    assert not Person.objects.exists()


def test_html_in_a_name_is_shown_as_text(client_a, ref):
    client_uuid = register_new(
        client_a, ref, person=person_data(ref, given_names="<b>Pedro</b><script>x()</script>")
    )
    for url in (step_url(client_uuid, "done"), reverse("intake:arrival_list")):
        page = client_a.get(url).content.decode()
        assert "&lt;b&gt;Pedro&lt;/b&gt;&lt;script&gt;" in page
        assert "<script>x()" not in page


# --- today's arrivals -------------------------------------------------------------------------


def _arrival_at(center, when, user, **person):
    return ArrivalFactory(
        center=center, arrived_at=when, registered_by=user, person=PersonFactory(**person)
    )


def test_the_list_shows_only_todays_arrivals_at_the_users_centre(
    en, client_a, center_a, center_b, caseworker, outsider
):
    now = timezone.now()
    _arrival_at(center_a, now, caseworker, given_names="Hoy", first_surname="Aquí")
    _arrival_at(center_a, now - timedelta(days=2), caseworker, given_names="Antier")
    _arrival_at(center_b, now, outsider, given_names="Otra", first_surname="Centro")
    page = client_a.get(reverse("intake:arrival_list")).content.decode()
    assert "Hoy Aquí" in page
    assert "Antier" not in page
    assert "Otra Centro" not in page


def test_today_is_the_centres_local_day(en, client_a, center_a, caseworker, frozen_clock):
    # 05:30 UTC on 12 March is 23:30 on 11 March in Guatemala (UTC-6).
    frozen_clock.move_to(datetime(2026, 3, 12, 5, 30, tzinfo=UTC))
    client_a.force_login(caseworker)  # the session of two days ago has expired
    local = center_a.tzinfo
    _arrival_at(
        center_a, datetime(2026, 3, 11, 0, 10, tzinfo=local), caseworker, given_names="Madrugada"
    )
    _arrival_at(
        center_a, datetime(2026, 3, 11, 23, 20, tzinfo=local), caseworker, given_names="Noche"
    )
    _arrival_at(
        center_a, datetime(2026, 3, 10, 23, 50, tzinfo=local), caseworker, given_names="Ayer"
    )  # 11 March in UTC
    _arrival_at(
        center_a, datetime(2026, 3, 12, 0, 5, tzinfo=local), caseworker, given_names="Mañana"
    )  # 12 March in UTC, like "now"
    page = client_a.get(reverse("intake:arrival_list")).content.decode()
    assert "Madrugada" in page and "Noche" in page
    assert "Ayer" not in page and "Mañana" not in page
    assert "23:20" in page  # shown in the centre's time


def test_the_list_searches_by_name_or_document(en, client_a, center_a, caseworker, ref):
    now = timezone.now()
    _arrival_at(
        center_a,
        now,
        caseworker,
        given_names="Yessenia",
        first_surname="Hernández",
        document_type=ref.passport,
        document_number="A1112223",
    )
    _arrival_at(
        center_a,
        now,
        caseworker,
        given_names="Wilmer",
        first_surname="Cruz",
        document_type=ref.passport,
        document_number="B9998887",
    )
    url = reverse("intake:arrival_list")
    page = client_a.get(url, {"q": "Yesenia Ernandez"}).content.decode()
    assert "Hernández" in page and "Wilmer" not in page
    page = client_a.get(url, {"q": "B999 8887"}).content.decode()
    assert "Wilmer" in page and "Yessenia" not in page


def test_a_row_shows_what_the_caseworker_needs(en, client_a, center_a, caseworker, ref):
    arrival = _arrival_at(
        center_a,
        timezone.now(),
        caseworker,
        given_names="Kevin",
        sex=Person.Sex.MALE,
        birth_date=timezone.localdate() - timedelta(days=365 * 17 + 10),
        document_type=ref.passport,
        document_number="C4445556",
    )
    page = client_a.get(reverse("intake:arrival_list")).content.decode()
    assert reverse("intake:arrival_detail", args=[arrival.pk]) in page
    assert "…5556" in page and ">17<" in page and "Male" in page
    assert "GUA-2026-001" in page and "Alone" in page


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("9999-12-31", "La fecha no puede ser posterior al "),
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/1900."),
        ("31/02/2026", "Introduzca una fecha válida."),
    ],
)
def test_a_day_out_of_range_is_400_with_the_error_on_the_form(client_a, center_a, day, message):
    response = client_a.get(reverse("intake:arrival_list"), {"day": day})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_day_error"' in page
    assert message in page
    assert f'value="{day}"' in page


def _list_queries(client, center, user, rows):
    Arrival.objects.all().delete()
    for i in range(rows):
        _arrival_at(center, timezone.now() - timedelta(minutes=i), user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("intake:arrival_list"))
    assert response.status_code == 200
    return len(queries)


def test_the_list_makes_the_same_number_of_queries_for_3_or_30_rows(client_a, center_a, caseworker):
    few = _list_queries(client_a, center_a, caseworker, 3)
    many = _list_queries(client_a, center_a, caseworker, 30)
    assert few == many
    assert many <= 12


def test_the_list_paginates_by_25(en, client_a, center_a, caseworker):
    for i in range(27):
        _arrival_at(center_a, timezone.now() - timedelta(minutes=i), caseworker)
    first = client_a.get(reverse("intake:arrival_list"))
    assert len(first.context["rows"]) == 25
    second = client_a.get(reverse("intake:arrival_list"), {"page": 2})
    assert len(second.context["rows"]) == 2


# --- an arrival's page and access -------------------------------------------------------------


def test_the_arrival_page_shows_the_arrival(en, client_a, center_a, caseworker, ref):
    arrival = _arrival_at(center_a, timezone.now(), caseworker, given_names="Dilcia")
    arrival.reasons.set([ref.violence])
    response = client_a.get(reverse("intake:arrival_detail", args=[arrival.pk]))
    assert response.status_code == 200
    assert "Dilcia" in response.content.decode()
    assert ref.violence.name in response.content.decode()


def test_an_arrival_at_another_centre_is_not_found(client, center_a, caseworker, outsider):
    arrival = _arrival_at(center_a, timezone.now(), caseworker)
    client.force_login(outsider)
    assert client.get(reverse("intake:arrival_detail", args=[arrival.pk])).status_code == 404
    done = reverse("intake:register_done", kwargs={"client_uuid": arrival.client_uuid})
    assert client.get(done).status_code == 404
    after = reverse("intake:register_start") + f"?after={arrival.client_uuid}"
    assert client.get(after).status_code == 404


def test_a_malformed_companion_reference_is_not_found(client_a):
    response = client_a.get(reverse("intake:register_start") + "?after=not-a-uuid")
    assert response.status_code == 404


def test_a_user_without_a_centre_is_told_so(en, client, ref):
    client.force_login(UserFactory(username="nobody"))
    for url in (reverse("intake:arrival_list"), reverse("intake:register_start")):
        response = client.get(url)
        assert response.status_code == 403
        assert "You are not assigned to a reception centre" in response.content.decode()


@pytest.mark.parametrize("name", ["arrival_list", "register_start"])
def test_intake_pages_require_login(client, name):
    response = client.get(reverse(f"intake:{name}"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_another_users_draft_is_not_theirs(client, client_a, ref, colleague):
    client_uuid, location = start(client_a)
    client_a.post(location, person_data(ref))
    other = type(client)()
    other.force_login(colleague)
    response = other.get(step_url(client_uuid, "origin"))
    assert response["Location"] == reverse("intake:register_start")


def test_a_centre_of_another_country_is_not_mixed_in(client, ref):
    # ReceptionCenterFactory defaults to Guatemala; a Honduran centre keeps its own time zone.
    hn, _ = Country.objects.get_or_create(
        iso2="HN", defaults={"name": "Honduras", "is_programme_country": True}
    )
    center = ReceptionCenterFactory(code="SPS", country=hn, time_zone="America/Tegucigalpa")
    user = UserFactory(username="hn_worker", centers=[center])
    client.force_login(user)
    client_uuid, location = start(client)
    page = client.get(location).content.decode()
    assert f'<option value="{hn.pk}" selected>' in page


def test_list_pages_25_at_a_time_and_the_next_link_keeps_the_search(client_a, center_a):
    now = timezone.now()
    for minute in range(26):
        ArrivalFactory(
            center=center_a,
            arrived_at=now - timedelta(minutes=minute),
            person=PersonFactory(given_names="Marta", first_surname=f"Prueba{minute:02d}"),
        )
    first = client_a.get(reverse("intake:arrival_list"), {"q": "Marta"}, HTTP_ACCEPT_LANGUAGE="es")
    body = first.content.decode()
    assert len(first.context["page"].object_list) == 25
    assert "Página 1 de 2" in body
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', body).group(1).replace("&amp;", "&")
    assert "q=Marta" in next_link
    second = client_a.get(reverse("intake:arrival_list") + next_link)
    assert [a.person.first_surname for a in second.context["page"].object_list] == ["Prueba25"]


def test_the_same_person_again_within_a_day_asks_for_a_confirmation(
    client_a, ref, returned_before, center_a, colleague
):
    """Registered a few minutes ago by a colleague: the arrival screen says so and offers a
    confirmation; nothing is registered until it is ticked."""
    ArrivalFactory(
        person=returned_before,
        center=center_a,
        registered_by=colleague,
        arrived_at=timezone.now() - timedelta(minutes=70),
    )
    client_uuid = _match_screen(client_a, ref)
    client_a.post(step_url(client_uuid, "matches"), {"choice": str(returned_before.pk)})
    client_a.post(step_url(client_uuid, "arrival"), arrival_data(ref))
    response = client_a.post(step_url(client_uuid, "consents"), CONSENTS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "ya tiene una llegada en este centro" in page
    assert 'type="checkbox" name="confirm_repeat"' in page
    assert 'value="Necesita transporte a Cobán"' in page or "Necesita transporte a Cobán" in page
    assert returned_before.arrivals.count() == 2

    client_a.post(step_url(client_uuid, "arrival"), arrival_data(ref, confirm_repeat="on"))
    response = client_a.post(step_url(client_uuid, "consents"), CONSENTS)
    assert response["Location"] == step_url(client_uuid, "done")
    assert returned_before.arrivals.count() == 3
