"""`__like`: a raw SQL LIKE pattern (with `_` and `%` as wildcards), which `contains` escapes.

Used on the derived name keys only, which hold a-z and spaces: nothing a user typed reaches the
pattern unescaped.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup


@CharField.register_lookup
class Like(Lookup):
    lookup_name = "like"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]
