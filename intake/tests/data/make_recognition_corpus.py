"""Writes recognition_corpus.csv: the labelled pairs intake/tests/test_recognition_corpus.py
checks recognition against. Run it again only to change the corpus, and review the diff.

    .venv/bin/python intake/tests/data/make_recognition_corpus.py

Each row is a registered person and what a caseworker typed for someone at a later return:
`same` says whether they are the same human being, `kind` how the typing differs. True pairs
carry the re-typings an outside test found recognition missing (a date one day or one digit
off, day and month swapped, the year off by one, one letter dropped, doubled or swapped,
y/j, h/j, x/s, names typed by ear) and the spellings it already handled. Near misses are
different people: siblings (same surnames), and the same common name with another date.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

GIVEN = [
    "María José",
    "Juan Carlos",
    "Ana Lucía",
    "José Luis",
    "Yesenia Marisol",
    "Wilmer Antonio",
    "Brayan Josué",
    "Geovanny Alexander",
    "Xiomara Lisbeth",
    "Guillermo Enrique",
    "Miguel Ángel",
    "Heidy Carolina",
    "Jennifer Paola",
    "Kevin Alexis",
    "Dania Yamileth",
    "Elvin Javier",
    "Cristian Omar",
    "Wendy Johana",
    "Henry Alberto",
    "Yanira Elizabeth",
    "Edwin René",
    "Marvin Adalberto",
    "Sindy Nohemí",
    "Oscar Armando",
    "Glenda Marisela",
    "Selvin Rolando",
    "Karla Vanessa",
    "Jonathan Isaac",
    "Leticia Guadalupe",
    "Byron Estuardo",
    "Rosa Amelia",
    "Walter Ovidio",
    "Lourdes Beatriz",
    "Nelson Geovani",
    "Sonia Marleny",
    "Erick Fernando",
    "Ingrid Yojana",
    "Rudy Alexander",
    "Ericka Jazmín",
    "Darwin Josué",
]
SURNAMES = [
    "Hernández",
    "López",
    "García",
    "Martínez",
    "Pérez",
    "González",
    "Rodríguez",
    "Ramírez",
    "Castillo",
    "Morales",
    "Flores",
    "Reyes",
    "Mejía",
    "Cruz",
    "Ortiz",
    "Velásquez",
    "Argueta",
    "Zelaya",
    "Euceda",
    "Ordóñez",
    "Guzmán",
    "Chávez",
    "Villeda",
    "Quiroa",
    "Tzul",
    "Cabrera",
    "Barrios",
    "Sosa",
    "Guerra",
    "Aguilar",
    "Juárez",
    "Vásquez",
    "Girón",
    "Xicará",
    "Menjívar",
    "Ayala",
    "Bonilla",
    "Guevara",
    "Rivas",
    "Alvarado",
]

# Re-typings of a whole name the rules must fold (spelling as heard).
SPELLINGS = {
    "Yesenia": "Jesenia",
    "Wilmer": "Guilmer",
    "Brayan": "Bryan",
    "Geovanny": "Giovanni",
    "Xiomara": "Siomara",
    "Guillermo": "Gillermo",
    "Miguel": "Migel",
    "Heidy": "Jeidy",
    "Henry": "Jenry",
    "Yanira": "Llanira",
    "Johana": "Joana",
    "Hernández": "Ernández",
    "Velásquez": "Belásquez",
    "Argueta": "Argeta",
    "Zelaya": "Selaya",
    "Quiroa": "Kiroa",
    "Castillo": "Castiyo",
    "Cristian": "Kristian",
    "Sindy": "Cindy",
    "Guevara": "Gevara",
}


def strip(word: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def typo(word: str, rng: random.Random, how: str) -> str:
    """One letter dropped, doubled or two neighbours swapped, away from the first letter."""
    i = rng.randrange(1, len(word) - 1)
    if how == "drop":
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def retype_date(day: date, how: str, rng: random.Random) -> date:
    if how == "day":
        return day + timedelta(days=rng.choice((-1, 1)))
    if how == "swapped":
        return date(day.year, day.day, day.month)
    if how == "year":
        return date(day.year + rng.choice((-1, 1)), day.month, day.day)
    # one digit of the day: 14 -> 19, 03 -> 08
    units = day.day % 10
    new_units = (units + rng.choice((1, 2, 3))) % 10
    new_day = day.day - units + new_units
    if not 1 <= new_day <= 28:
        new_day = day.day - units + (units + 5) % 10 or 1
    return date(day.year, day.month, max(1, min(new_day, 28)))


def spelled(text: str) -> str:
    return " ".join(SPELLINGS.get(word, word) for word in text.split())


TRUE_KINDS = [
    "accents and capitals",
    "spelling as heard",
    "surnames swapped",
    "second surname missing",
    "one given name only",
    "date one day off",
    "date one digit off",
    "day and month swapped",
    "year off by one",
    "given name letter dropped",
    "given name letter doubled",
    "given name letters swapped",
    "surname letter dropped",
    "surname letters swapped",
    "spelling and date one day off",
    "document only",
]


def _retype_dates(kind: str, person: dict, typed: dict, rng: random.Random) -> None:
    if kind in ("date one day off", "spelling and date one day off"):
        typed["birth_date"] = retype_date(person["birth_date"], "day", rng)
        first_given = person["given_names"].split()[0]
        if kind.startswith("spelling"):
            spelt = spelled(person["given_names"])
            if len(first_given) >= 6:
                spelt = spelt.replace(first_given, typo(first_given, rng, "drop"))
            typed["given_names"] = spelt
    elif kind == "date one digit off":
        typed["birth_date"] = retype_date(person["birth_date"], "digit", rng)
    elif kind == "day and month swapped":
        born = person["birth_date"]
        if born.day > 12 or born.day == born.month:
            person["birth_date"] = born.replace(day=born.month % 12 + 1)
        typed["birth_date"] = retype_date(person["birth_date"], "swapped", rng)
    elif kind == "year off by one":
        typed["birth_date"] = retype_date(person["birth_date"], "year", rng)


def _retype_names(kind: str, person: dict, typed: dict, rng: random.Random) -> None:
    names = ("given_names", "first_surname", "second_surname")
    if kind == "accents and capitals":
        typed.update({k: strip(person[k]).upper() for k in names})
    elif kind == "spelling as heard":
        typed.update({k: spelled(person[k]) for k in names})
        if typed == person:  # nothing in the name to re-spell: accents then
            typed["first_surname"] = strip(person["first_surname"]).lower()
    elif kind == "surnames swapped":
        typed["first_surname"] = person["second_surname"]
        typed["second_surname"] = person["first_surname"]
    elif kind == "second surname missing":
        typed["second_surname"] = ""
    elif kind == "one given name only":
        typed["given_names"] = person["given_names"].split()[-1]
    elif kind.startswith("given name"):
        how = {"dropped": "drop", "doubled": "double", "swapped": "swap"}[kind.split()[-1]]
        word = max(person["given_names"].split(), key=len)
        typed["given_names"] = person["given_names"].replace(word, typo(word, rng, how))
    elif kind.startswith("surname"):
        how = "drop" if kind.endswith("dropped") else "swap"
        typed["first_surname"] = typo(person["first_surname"], rng, how)
    elif kind == "document only":
        typed.update(
            given_names="Persona", first_surname="Desconocida", second_surname="", birth_date=None
        )


def true_pair(index: int, person: dict, rng: random.Random) -> dict:
    kind = TRUE_KINDS[index % len(TRUE_KINDS)]
    typed = dict(person)
    _retype_dates(kind, person, typed, rng)
    _retype_names(kind, person, typed, rng)
    return {"kind": kind, "same": 1, "typed": typed}


NEAR_KINDS = ["sibling", "same name, another date", "twin with another given name"]


def near_pair(index: int, person: dict, rng: random.Random, used_given: set[str]) -> dict:
    kind = NEAR_KINDS[index % len(NEAR_KINDS)]
    typed = dict(person, document_number="")
    day = person["birth_date"]
    if kind in ("sibling", "twin with another given name"):
        others = [
            g
            for g in GIVEN
            if g.split()[0] != person["given_names"].split()[0]
            and not set(g.split()) & set(person["given_names"].split())
        ]
        typed["given_names"] = rng.choice(others)
        if kind == "sibling":
            typed["birth_date"] = date(
                day.year + rng.choice((-5, -3, 3, 6)),
                (day.month + 4) % 12 + 1,
                min(day.day + 3, 28),
            )
    else:
        typed["birth_date"] = date(
            day.year + rng.choice((-9, -7, 7, 9)), (day.month + 5) % 12 + 1, (day.day + 11) % 28 + 1
        )
    return {"kind": kind, "same": 0, "typed": typed}


def main() -> None:
    rng = random.Random(20261202)
    persons = []
    seen = set()
    while len(persons) < 320:
        given = rng.choice(GIVEN)
        first, second = rng.sample(SURNAMES, 2)
        key = (given, first, second)
        if key in seen:
            continue
        seen.add(key)
        birth = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
        birth = birth.replace(day=min(birth.day, 28))
        persons.append(
            {
                "given_names": given,
                "first_surname": first,
                "second_surname": second,
                "birth_date": birth,
                "document_number": f"{rng.randrange(10**12, 10**13)}",
            }
        )
    rows = []
    for index, person in enumerate(persons[:170]):
        rows.append((person, true_pair(index, person, rng)))
    for index, person in enumerate(persons[170:]):
        rows.append((person, near_pair(index, person, rng, set())))
    path = Path(__file__).with_name("recognition_corpus.csv")
    fields = ("given_names", "first_surname", "second_surname", "birth_date", "document_number")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["same", "kind", *[f"registered_{f}" for f in fields], *[f"typed_{f}" for f in fields]]
        )
        for person, pair in rows:
            typed = pair["typed"]
            if pair["kind"] != "document only":
                typed = dict(typed, document_number="")
            writer.writerow(
                [
                    pair["same"],
                    pair["kind"],
                    *[person[f] if f != "birth_date" else person[f].isoformat() for f in fields],
                    *[
                        (
                            typed[f].isoformat()
                            if f == "birth_date" and typed[f]
                            else (typed[f] or "")
                        )
                        for f in fields
                    ],
                ]
            )
    print(
        f"{path}: {sum(1 for _p, r in rows if r['same'])} true pairs, "
        f"{sum(1 for _p, r in rows if not r['same'])} near misses"
    )


if __name__ == "__main__":
    main()
