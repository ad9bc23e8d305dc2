"""Fingerprints for the cases, notes and referrals recorded before they were stored.

Without one, a replay of such a row under its client UUID would answer 409. The fingerprint is
rebuilt from what the row stores, as the actions build it (a frozen copy: migrations do not
follow later changes of the code). A case's assignee and restricted flag may have changed since
it was opened; a replay of such a case answers 409, the safe side.
"""

import hashlib
import json

from django.db import migrations

BATCH = 2000


def _fingerprint(payload):
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


PAYLOADS = {
    "Case": lambda row: {
        "actor": row.opened_by_id,
        "person": row.person_id,
        "center": row.center_id,
        "arrival": row.opened_from_arrival_id,
        "assigned_to": row.assigned_to_id,
        "restricted": row.restricted,
    },
    "CaseNote": lambda row: {
        "actor": row.author_id,
        "case": row.case_id,
        "text": row.text,
        "corrects": row.corrects_id,
    },
    "Referral": lambda row: {
        "actor": row.referred_by_id,
        "case": row.case_id,
        "partner": row.partner_id,
        "service_line": row.service_line_id,
        "reason": row.reason,
    },
}


def backfill(apps, schema_editor):
    for name, payload in PAYLOADS.items():
        model = apps.get_model("casework", name)
        last = 0
        while True:
            rows = list(
                model.objects.filter(request_fingerprint="", pk__gt=last).order_by("pk")[:BATCH]
            )
            if not rows:
                break
            for row in rows:
                row.request_fingerprint = _fingerprint(payload(row))
            model.objects.bulk_update(rows, ["request_fingerprint"])
            last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0011_case_note_referral_request_fingerprint"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
