"""Who is left out of published aggregates: persons who refused to be counted in statistics.

The rule:

- A person whose latest "anonymised_statistics" consent answer (the most recent Consent row of
  that kind) is a refusal or a withdrawal (granted=False) is not counted in any indicator, in any
  cell, margin or total. They refused to be counted; an aggregate that still counted them would
  go against their word, however anonymous the count.
- A person with no recorded answer is counted: the consent to register and process personal
  data, recorded at intake, covers anonymised statistics unless the person said otherwise.
- A person who refused and later granted again (the latest row is granted=True) is counted,
  for every period, including the past ones: the latest answer is in force.

Consequences, to be said wherever the figures are published:

- Aggregates are slightly lower than the operational counts a centre sees in its own lists.
- The exclusion happens before disclosure control: suppression works on the counts that are
  actually published, so it is never undone by it.
- Figures already published can change if a person withdraws later; `data_as_of` on every
  table says when the counts were made.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery

from registry.models import Consent

STATISTICS = Consent.Kind.ANONYMISED_STATISTICS


def persons_refusing(person_ids: Iterable | None = None) -> QuerySet[Consent]:
    """The ids of persons whose answer in force for anonymised statistics is a refusal.

    Read from the refusals only (a few percent of the consent rows, with an index of their
    own): a refusal counts when the person's latest answer (by time, then id) is a refusal.
    """
    latest = (
        Consent.objects.filter(person=OuterRef("person"), kind=STATISTICS)
        .order_by("-recorded_at", "-pk")
        .values("granted")[:1]
    )
    refusals = Consent.objects.filter(kind=STATISTICS, granted=False)
    if person_ids is not None:
        refusals = refusals.filter(person_id__in=person_ids)
    return refusals.annotate(in_force=Subquery(latest)).filter(in_force=False).values("person")


def counted_only(
    queryset: QuerySet, *, person_field: str = "person", person_ids: Iterable | None = None
) -> QuerySet:
    """`queryset` (arrivals, deliveries) without the rows of persons who refused to be counted.

    `person_ids`: the rows are already limited to these persons (only their answers are read).
    """
    return queryset.exclude(Q(**{f"{person_field}__in": persons_refusing(person_ids)}))
