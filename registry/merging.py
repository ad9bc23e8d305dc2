"""What a merge of two person records moves, and what may refuse one.

registry imports no other app, yet a merge moves arrivals (intake), cases (casework) and
deliveries (services). Each app registers here, when it starts (AppConfig.ready), the models
whose rows belong to a person and, where it has one, a rule that refuses a merge (two open
cases at one centre). registry.actions.person_merge and person_unmerge call these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from .types import StrOrPromise

# A check answers a refusal, in the user's language, or None: (survivor id, merged id).
MergeCheck = Callable[[object, object], StrOrPromise | None]


@dataclass(frozen=True)
class MovedModel:
    model: type[models.Model]
    field: str  # the foreign key to Person

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows(self) -> models.QuerySet:
        # Every row, those a default manager hides (a voided arrival) included.
        return self.model._base_manager.all()


_moved: dict[str, MovedModel] = {}
_checks: list[MergeCheck] = []


def register_moved(model: type[models.Model], field: str = "person") -> None:
    """The rows of `model` whose `field` is a person move with a merge (and back with an unmerge)."""
    moved = MovedModel(model, field)
    _moved[moved.label] = moved


def register_check(check: MergeCheck) -> MergeCheck:
    if check not in _checks:
        _checks.append(check)
    return check


def merge_refusals(survivor_id: object, merged_id: object) -> list[StrOrPromise]:
    return [message for check in _checks if (message := check(survivor_id, merged_id))]


def rows_move(*, from_id: object, to_id: object) -> dict[str, list]:
    """Move every registered row of one person to another; {model label: ids moved}."""
    moved: dict[str, list] = {}
    for label, spec in sorted(_moved.items()):
        rows = spec.rows().filter(**{spec.field: from_id})
        ids = [
            str(pk) if not isinstance(pk, int) else pk for pk in rows.values_list("pk", flat=True)
        ]
        if ids:
            spec.rows().filter(pk__in=ids).update(**{spec.field: to_id})
            moved[label] = ids
    return moved


def rows_move_back(*, moved: dict[str, list], to_id: object) -> None:
    """Move the rows a merge moved (by model label) to the record they came from."""
    for label, ids in moved.items():
        spec = _moved.get(label)
        if spec is None:  # pragma: no cover - an app that moved rows is no longer installed
            raise LookupError(f"no mover registered for {label}")
        spec.rows().filter(pk__in=ids).update(**{spec.field: to_id})


def centers_with_rows(person_id: object, center_ids: list[int]) -> set[int]:
    """Which of these centres hold a registered row of the person (an arrival, a case, a
    delivery): where the person must stay known after an unmerge."""
    found: set[int] = set()
    for spec in _moved.values():
        names = {field.name for field in spec.model._meta.get_fields()}
        if "center" not in names or not center_ids:
            continue
        rows = spec.rows().filter(**{spec.field: person_id, "center_id__in": center_ids})
        found.update(rows.values_list("center_id", flat=True).distinct())
    return found


def rows_counted(person_id: object) -> list[tuple[str, int]]:
    """(what, how many) of the rows a merge would move from this person, for the comparison."""
    counted = []
    for _label, spec in sorted(_moved.items()):
        # Counted as the pages count them (a voided arrival is not shown).
        number = spec.model._default_manager.filter(**{spec.field: person_id}).count()
        counted.append((str(spec.model._meta.verbose_name_plural), number))
    return counted
