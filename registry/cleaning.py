"""Model validation without asking the database again for the related rows an action holds.

Django's full_clean checks each foreign key with a query (does that row exist?). An action's
related objects were loaded a moment ago, in this request, by a scoped lookup or a form's
choice: registering an arrival asked eight such questions for nothing. Everything else
full_clean does (field rules, clean(), unique and constraint checks) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import ForeignKey, Model


def _loaded(instance: Model) -> set[str]:
    """Foreign keys whose object is held by the instance (so it exists) and that restrict no
    choices (the query would check the restriction too)."""
    return {
        field.name
        for field in instance._meta.concrete_fields
        if isinstance(field, ForeignKey)
        and not field.remote_field.limit_choices_to
        and field.is_cached(instance)
        and field.get_cached_value(instance) is not None
        and field.get_cached_value(instance).pk is not None
    }


def full_clean_loaded(
    instance: Model,
    *,
    exclude: Iterable[str] = (),
    validate_unique: bool = True,
    validate_constraints: bool = True,
) -> None:
    """`instance.full_clean(...)`, except the existence of related objects it already holds."""
    excluded = set(exclude)
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: instance.clean_fields(exclude=excluded | _loaded(instance)),
        instance.clean,
    ):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    # As full_clean: a field that failed is not checked again for uniqueness or constraints.
    failed = excluded | {name for name in errors if name != NON_FIELD_ERRORS}
    checks = []
    if validate_unique:
        checks.append(lambda: instance.validate_unique(exclude=failed))
    if validate_constraints:
        checks.append(lambda: instance.validate_constraints(exclude=failed))
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
