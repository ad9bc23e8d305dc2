"""Spanish-aware keys for names and document numbers, used by matching and search.

Two spellings that a caseworker would hear as the same name get the same key: accents
and case are ignored, and b/v, s/z/c(e,i), ll/y, silent h, qu/k/c, g(e,i)/gu(e,i)/j, an initial
h, j or y before a vowel, an initial w/gu, x/s before "io" and doubled letters are folded. Particles (de, del, la, los, y) are dropped, so "De León" and "León"
agree.
"""

import re
import unicodedata

PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "di", "van", "von", "san"})

# Applied in order to an accent-free, lower-case word.
_RULES: tuple[tuple[str, str], ...] = (
    (r"ch", "\x01"),  # protect "ch" before dropping silent h
    (r"(?<![sc])h", ""),  # silent h: Hernández/Ernández, Johana/Joana
    (r"\x01", "ch"),
    (r"sh", "s"),
    (r"ph", "f"),
    (r"^w", "gu"),  # an initial w as heard: Wilmer / Guilmer
    (r"qu(?=[ei])", "k"),  # Quiroa / Kiroa
    (r"q", "k"),
    (r"c(?=[ei])", "s"),  # Cecilia / Sesilia
    (r"z", "s"),  # Zúñiga / Súñiga
    (r"c(?!h)", "k"),  # Carlos / Karlos
    (r"^x(?=io)", "s"),  # Xiomara / Siomara (before x as j)
    (r"x(?=[ei])", "j"),  # Ximena / Jimena
    # gu before g: Guillermo, Gillermo and Jillermo agree (Miguel / Migel, Argueta / Argeta).
    (r"gu(?=[ei])", "g"),
    (r"g(?=[ei])", "j"),  # Gerardo / Jerardo
    (r"ll", "y"),  # Yanira / Llanira, Castillo / Castiyo
    (r"^y(?=[aeiou])", "j"),  # Yesenia / Jesenia
    # An initial j is heard as the h that the rule above drops: Jenry / Henry / Enry.
    (r"^j", ""),
    (r"^eo", "io"),  # Geovanny / Giovanni
    (r"(?<=[^aeiou])y(?=[aeiou])", "ay"),  # Bryan / Brayan
    (r"v", "b"),  # Velásquez / Belásquez
    (r"w", "u"),
    (r"y(?=[^aeiou]|$)", "i"),  # Maybel / Maibel; final y as a vowel
    (r"(.)\1+", r"\1"),  # doubled letters: Mattos / Matos, Jennifer / Jenifer
)
_COMPILED = tuple((re.compile(pattern), repl) for pattern, repl in _RULES)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def word_key(word: str) -> str:
    key = strip_accents(word).lower()
    key = re.sub(r"[^a-z]", "", key)
    for pattern, repl in _COMPILED:
        key = pattern.sub(repl, key)
    return key


def name_keys(text: str) -> list[str]:
    """Phonetic keys of the meaningful words of a name, in order, without repeats."""
    keys: list[str] = []
    for word in re.split(r"[\s\-']+", text or ""):
        plain = strip_accents(word).lower()
        if not plain or plain in PARTICLES:
            continue
        key = word_key(word)
        if len(key) >= 2 and key not in keys:
            keys.append(key)
    return keys


# Words shorter than this are matched exactly: one edit in a four-letter key names too many.
TYPO_MIN_LENGTH = 5


def key_deletions(key: str) -> list[str]:
    """The key with one letter dropped, after its first letter (which the keys already fold:
    h, j, y, w), for keys of TYPO_MIN_LENGTH letters or more; none for shorter keys.

    Two keys are one edit apart (a letter changed, added, dropped, or two neighbours swapped
    after the first) when one is among the other's deletions or they share a deletion: so a
    typo is found by equality (the SymSpell idea), which an index answers."""
    if len(key) < TYPO_MIN_LENGTH:
        return []
    return sorted({key[:i] + key[i + 1 :] for i in range(1, len(key))} - {key})


def person_name_variants(given_name_keys: str, surname_keys: str) -> str:
    """A person's `name_variant_keys` from their stored given-name and surname keys (the
    model's save, the migration that filled them and the synthetic generator all use this)."""
    return name_variant_keys([*given_name_keys.split(), *surname_keys.split()])


def name_variant_keys(keys: list[str]) -> str:
    """What the registry search matches a typed word against: every name key and its
    deletions, space-separated, each once."""
    words = dict.fromkeys(keys)
    for key in keys:
        words.update(dict.fromkeys(key_deletions(key)))
    return " ".join(words)


def document_normalise(number: str) -> str:
    """Upper-case letters and digits only: '2345 67890 0101' and '2345-67890-0101' agree."""
    return re.sub(r"[^0-9A-Z]", "", strip_accents(number or "").upper())


PHONE_KEY_DIGITS = 8


def phone_key(number: str) -> str:
    """The local part of a phone number: its last 8 digits ('+502 5555-1234' is '55551234');
    empty when it has fewer."""
    digits = re.sub(r"[^0-9]", "", number or "")
    return digits[-PHONE_KEY_DIGITS:] if len(digits) >= PHONE_KEY_DIGITS else ""
