"""Spanish-aware name keys: spellings a caseworker hears as the same name agree."""

import pytest

from ..names import document_normalise, name_keys, phone_key


@pytest.mark.parametrize(
    ("written", "heard_as"),
    [
        ("José Hernández", "Jose Ernandez"),  # accents, silent h
        ("Velásquez", "Belasquez"),  # b/v
        ("Zúñiga", "Suniga"),  # z/s, ñ
        ("Cecilia", "Sesilia"),  # c(e,i)/s
        ("González", "Gonsalez"),  # z/s
        ("Yanira", "Llanira"),  # ll/y
        ("Castillo", "Castiyo"),
        ("Quiroa", "Kiroa"),  # qu/k
        ("Carlos", "Karlos"),  # c/k
        ("Gerardo", "Jerardo"),  # g(e,i)/j
        ("Johana", "Joana"),
        ("Mattos", "Matos"),  # doubled letters
        ("De León", "León"),  # particles
        ("Maybel", "Maibel"),
        # gu before e/i loses its u before g turns into j (the rules once ran the other way)
        ("Guillermo", "Gillermo"),
        ("Miguel", "Migel"),
        ("Argueta", "Argeta"),
        ("Yesenia", "Jesenia"),  # initial y before a vowel / j
        ("Henry", "Jenry"),  # initial h / j
        ("Xiomara", "Siomara"),  # x before "io" sounding s
        ("Ximena", "Jimena"),  # x before e/i sounding j
        ("Brayan", "Bryan"),  # English-origin names as typed by ear
        ("Geovanny", "Giovanni"),
        ("Wilmer", "Guilmer"),
    ],
)
def test_spelling_variants_share_keys(written, heard_as):
    assert name_keys(written) == name_keys(heard_as)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("García", "Garza"),
        ("Pérez", "Paz"),
        ("Luis", "Luisa"),
        ("Mario", "María"),
        ("Juana", "Ana"),
        ("Edwin", "Erwin"),
    ],
)
def test_different_names_keep_different_keys(one, other):
    assert name_keys(one) != name_keys(other)


def test_compound_names_give_one_key_per_word():
    assert name_keys("María José") == name_keys("Maria Jose") == ["maria", "ose"]
    assert name_keys("  María   de los Ángeles ") == ["maria", "anjeles"]


def test_document_numbers_ignore_spaces_dashes_and_case():
    assert document_normalise("2345 67890-0101") == "2345678900101"
    assert document_normalise("ab-123 456") == "AB123456"


@pytest.mark.parametrize(
    ("typed", "key"),
    [("+502 5555-1234", "55551234"), ("5555 1234", "55551234"), ("(504) 9876-5432", "98765432")],
)
def test_phone_keys_are_the_local_eight_digits(typed, key):
    assert phone_key(typed) == key


def test_a_short_phone_number_has_no_key():
    assert phone_key("1234-567") == ""


@pytest.mark.django_db
def test_the_key_migration_rewrites_stale_keys_and_fills_the_phone_key(center_a):
    """registry/0005 on a registry saved with the old rules (before gu/g, initial j, phone)."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from registry.models import Person

    from .factories import PersonFactory

    guillermo = PersonFactory(
        given_names="Guillermo", first_surname="Argueta", second_surname="", phone="+502 5555-1234"
    )
    untouched = PersonFactory(given_names="Ana", first_surname="Pérez", phone="")
    Person.objects.filter(pk=guillermo.pk).update(
        given_name_keys="guiyermo", surname_keys="argueta", phone_key=""
    )
    migration = importlib.import_module("registry.migrations.0005_name_and_phone_keys_again")
    # The function reads only the editor's connection (a schema editor cannot open inside a
    # test's transaction on SQLite).
    migration.recompute(apps, SimpleNamespace(connection=connection))

    guillermo.refresh_from_db()
    assert (guillermo.given_name_keys, guillermo.surname_keys) == ("iyermo", "arjeta")
    assert guillermo.phone_key == "55551234"
    assert Person.objects.get(pk=untouched.pk).given_name_keys == "ana"


def test_a_key_one_edit_away_shares_a_variant_and_a_stranger_does_not():
    from registry.names import key_deletions, name_variant_keys

    def variants(key):
        return set(name_variant_keys([key]).split())

    typed = {"ernandes", *key_deletions("ernandes")}
    for stored, meant in [
        ("ernandes", "the same"),
        ("ernandez", "a letter changed"),
        ("ernande", "a letter dropped"),
        ("ernanndes", "a letter added"),
        ("ernadnes", "two letters swapped"),
    ]:
        assert typed & variants(stored), meant
    assert not typed & variants("fernandes")  # the first letter is not forgiven
    assert not typed & variants("mendosa")
    # short keys are matched as they are: one edit in four letters names too many
    assert key_deletions("ana") == [] and name_variant_keys(["ana", "ana"]) == "ana"


def test_the_variant_migration_fills_every_person(center_a):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from registry.models import Person

    from .factories import PersonFactory

    person = PersonFactory(given_names="Yesenia", first_surname="Argueta", second_surname="")
    Person.objects.filter(pk=person.pk).update(name_variant_keys="")
    migration = importlib.import_module("registry.migrations.0010_name_variant_keys_fill")
    migration.fill(apps, SimpleNamespace(connection=connection))
    person.refresh_from_db()
    words = person.name_variant_keys.split()
    assert {"esenia", "arjeta", "esnia", "arjta"} <= set(words)  # keys and their deletions
    saved = PersonFactory(given_names="Yesenia", first_surname="Argueta", second_surname="")
    assert saved.name_variant_keys == person.name_variant_keys  # save() computes the same
