"""Lookups on the derived name keys, which hold a-z and spaces only: nothing a user typed
reaches them unescaped.

- `__like`: a raw SQL LIKE pattern (with `_` and `%` as wildcards), which `contains` escapes.
- `__has_any_word` / `__has_all_words`: the space-separated words of the column include one
  (every one) of a list. On PostgreSQL an array overlap (containment), answered by the GIN
  index on the same expression (registry migration 0010); elsewhere one LIKE per word.
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


class _Words(Lookup):
    prepare_rhs = False
    joiner = ""  # how the per-word LIKEs combine: OR (any) or AND (all)
    operator = ""  # the array operator on PostgreSQL

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        words = list(self.rhs)
        if not words:
            return ("1 = 0", []) if self.joiner == "OR" else ("1 = 1", [])
        likes = f" {self.joiner} ".join([f"(' ' || {lhs} || ' ') LIKE %s"] * len(words))
        return f"({likes})", [p for word in words for p in (*lhs_params, f"% {word} %")]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql = f"string_to_array({lhs}, ' ') {self.operator} %s::text[]"
        return sql, [*lhs_params, list(self.rhs)]


@TextField.register_lookup
class HasAnyWord(_Words):
    lookup_name = "has_any_word"
    joiner, operator = "OR", "&&"


@TextField.register_lookup
class HasAllWords(_Words):
    lookup_name = "has_all_words"
    joiner, operator = "AND", "@>"
