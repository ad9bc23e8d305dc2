"""Lookups on the derived name keys, which hold a-z and spaces only: nothing a user typed
reaches them unescaped.

- `__like`: a raw SQL LIKE pattern (with `_` and `%` as wildcards), which `contains` escapes.
- `__has_any_word`: the space-separated words of the column include one of a list. On
  PostgreSQL an array overlap, answered by the GIN index on the same expression (registry
  migration 0009); elsewhere one LIKE per word.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup, TextField


@CharField.register_lookup
class Like(Lookup):
    lookup_name = "like"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


@TextField.register_lookup
class HasAnyWord(Lookup):
    lookup_name = "has_any_word"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        words = list(self.rhs)
        if not words:
            return "1 = 0", []
        likes = " OR ".join([f"(' ' || {lhs} || ' ') LIKE %s"] * len(words))
        return f"({likes})", [p for word in words for p in (*lhs_params, f"% {word} %")]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"string_to_array({lhs}, ' ') && %s::text[]", [*lhs_params, list(self.rhs)]
