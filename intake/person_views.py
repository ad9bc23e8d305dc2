"""The person page: casework's record of a person plus the arrivals seen at the user's centres.

It lives in intake because it shows arrivals and casework may not import intake; the route is
"persons/<uuid:person_id>/" named "person_detail" in config/urls.py.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from casework.audit import person_viewed
from casework.models import Consent
from casework.selectors import consents_in_force, person_get

from .permissions import arrivals_for
from .selectors import person_returns_summary


@login_required
def person_detail(request: HttpRequest, person_id) -> HttpResponse:
    person = person_get(user=request.user, person_id=person_id)
    person_viewed(person)
    in_force = consents_in_force(person)
    arrivals = list(
        arrivals_for(request.user)
        .filter(person=person)
        .select_related("center", "returned_from")
        .order_by("-arrived_at")
    )
    context = {
        "person": person,
        "age": person.age_on(timezone.localdate()),
        "consents": [(label, in_force.get(kind)) for kind, label in Consent.Kind.choices],
        "arrivals": arrivals,
        "returns": person_returns_summary(person),
    }
    return render(request, "casework/person_detail.html", context)
