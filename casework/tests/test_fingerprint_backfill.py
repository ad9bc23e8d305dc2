"""The migration that stores fingerprints for rows recorded before they were kept."""

import importlib
import uuid

from django.apps import apps

from casework.actions import case_open, consents_record, note_add, referral_create
from casework.models import Case, CaseNote, Partner, Referral, ServiceLine
from casework.tests.factories import PersonFactory, country

backfill = importlib.import_module(
    "casework.migrations.0012_backfill_request_fingerprints"
).backfill


def test_an_earlier_submission_replays_after_the_backfill(caseworker, colleague, center_a):
    person = PersonFactory(centers=[center_a])
    consents_record(actor=caseworker, person=person, consents={"share_with_partners": True})
    partner = Partner.objects.create(name="INTECAP", kind="government", country=country("GT"))
    line = ServiceLine.objects.get(code="vocational_training")
    partner.service_lines.add(line)
    keys = [uuid.uuid4() for _ in range(4)]

    def submit():
        opened = case_open(
            actor=caseworker,
            person=person,
            center=center_a,
            assigned_to=colleague,
            restricted=True,
            client_uuid=keys[0],
        )
        case = opened.case
        # The restricted case is opened to its caseworker, who writes in it.
        first = note_add(actor=colleague, case=case, text="Primera", client_uuid=keys[1])
        correction = note_add(
            actor=colleague, case=case, text="Corrige", corrects=first.note, client_uuid=keys[2]
        )
        made = referral_create(
            actor=colleague,
            case=case,
            partner=partner,
            service_line=line,
            reason="Curso de cocina",
            client_uuid=keys[3],
        )
        return [opened.created, first.created, correction.created, made.created]

    assert submit() == [True] * 4
    for model in (Case, CaseNote, Referral):
        model.objects.update(request_fingerprint="")

    backfill(apps, None)

    assert not Case.objects.filter(request_fingerprint="").exists()
    assert submit() == [False] * 4
    assert (Case.objects.count(), CaseNote.objects.count(), Referral.objects.count()) == (1, 2, 1)
