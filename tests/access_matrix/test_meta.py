"""The matrix covers every route: a URL pattern (and each HTTP method a class view implements)
that is neither in the route table nor explicitly excluded fails here, by name."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from .routes import ROUTES, covered

# Route prefixes the matrix leaves to other tests, each with the reason.
EXCLUDED_PREFIXES = {
    "admin/": (
        "Django admin: staff only (tests/test_self_escalation.py: caseworkers are sent to the "
        "admin login, nobody widens their own access, audit entries cannot be changed or "
        "deleted; tests/test_audit_trail.py)"
    ),
    "i18n/": "set_language: stores a language cookie, reads and writes no record",
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def walk(resolvers=None, prefix: str = "", namespace: str = ""):
    """(route, name with namespace, callback) for every URL pattern, recursively."""
    patterns = get_resolver().url_patterns if resolvers is None else resolvers
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield route, name, entry.callback


def excluded(route: str) -> bool:
    return any(route.startswith(prefix) for prefix in EXCLUDED_PREFIXES)


def implemented_methods(callback) -> set[str] | None:
    """The HTTP methods a class-based view implements (None for a function view)."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return None
    return {m.upper() for m in ("get", *WRITE_METHODS) if hasattr(view_class, m)}


def test_every_route_is_in_the_matrix():
    table = covered()
    names = {name for name, _method in table}
    missing = []
    for route, name, callback in walk():
        if excluded(route):
            continue
        if name is None:
            missing.append(f"{route} (unnamed: name it, then add it to the route table)")
            continue
        if name not in names:
            missing.append(f"{route} ({name})")
            continue
        methods = implemented_methods(callback) or set()
        missing += [f"{route} ({name}) {m}" for m in sorted(methods) if (name, m) not in table]
    assert not missing, "routes the access matrix does not cover:\n" + "\n".join(missing)


def test_the_route_table_names_only_existing_routes():
    existing = {name for route, name, _callback in walk() if name}
    stale = sorted({route.name for route in ROUTES} - existing)
    assert not stale, f"routes in the table that no longer exist: {stale}"


def test_the_exclusions_still_match_something():
    routes = [route for route, _name, _callback in walk()]
    for prefix in EXCLUDED_PREFIXES:
        assert any(route.startswith(prefix) for route in routes), prefix
