"""Keeps the summary tables current: every change to a person's counted facts queues, once per
transaction and after it commits, those persons for the next batched refresh of their summary
rows (reporting/refreshing.py). Also notes at
sign-in whether the navigation offers the dashboard."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from casework.models import Case
from intake.models import Arrival
from registry.models import Consent, Person
from registry.signals import persons_changed
from services.models import ServiceDelivery


class _Refresh:
    """The on-commit callback of one transaction, gathering the persons it touched."""

    def __init__(self) -> None:
        self.person_ids: set[int] = set()
        self.done = False

    def __call__(self) -> None:
        from .refreshing import refresh_queue

        self.done = True
        refresh_queue(self.person_ids)


def persons_dirty(person_ids: Iterable[int]) -> None:
    """Refresh these persons' summary rows once the current transaction commits."""
    ids = {pk for pk in person_ids if pk is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # One callback per transaction: find ours among the pending ones (a rolled-back
        # transaction drops its callbacks, and with them the persons it touched).
        for _savepoints, callback, _robust in connection.run_on_commit:
            if isinstance(callback, _Refresh) and not callback.done:
                callback.person_ids |= ids
                return
    refresh = _Refresh()
    refresh.person_ids |= ids
    transaction.on_commit(refresh)


def _person_of_row(sender, instance, **kwargs) -> None:
    persons_dirty([instance.person_id])


def _person_saved(sender, instance, **kwargs) -> None:
    persons_dirty([instance.pk])


def _case_vulnerabilities(sender, instance, action, pk_set=None, reverse=False, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # from the category's side: the cases in pk_set
        ids = Case.objects.filter(pk__in=pk_set or ()).values_list("person_id", flat=True)
        persons_dirty(ids)
    else:
        persons_dirty([instance.person_id])


def _persons_changed(sender, person_ids, **kwargs) -> None:
    persons_dirty(person_ids)


def _signed_in(sender, request, user, **kwargs) -> None:
    """Whether the navigation offers the dashboard, found once for the session."""
    from .dashboard import DASHBOARD_IN_NAV, dashboard_audience

    # Only a browser session: an API sign-in (registry.sign_in) has none to remember it in.
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        session[DASHBOARD_IN_NAV] = dashboard_audience(user)


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="reporting.dashboard_in_nav")
    for model in (Arrival, ServiceDelivery, Consent, Case):
        uid = f"reporting.summary.{model._meta.label_lower}"
        post_save.connect(_person_of_row, sender=model, dispatch_uid=uid)
        post_delete.connect(_person_of_row, sender=model, dispatch_uid=f"{uid}.delete")
    post_save.connect(_person_saved, sender=Person, dispatch_uid="reporting.summary.person")
    m2m_changed.connect(
        _case_vulnerabilities,
        sender=Case.vulnerabilities.through,
        dispatch_uid="reporting.summary.case_vulnerabilities",
    )
    persons_changed.connect(_persons_changed, dispatch_uid="reporting.summary.persons_changed")
