"""The message catalogues: Spanish complete, compiled .mo files current, .po in step with the code."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, clean_env, require_tool

LOCALE = REPO_ROOT / "locale"
SPANISH_PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
ENGLISH_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
# Same exclusions as `make messages` (Makefile LOCALE_IGNORE), plus what is never source.
IGNORED_DIRS = {".venv", "staticfiles", "media", "build", "locale", "node_modules", "__pycache__"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
FIX = "Run `make messages`, translate, and commit the .po and .mo files."


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise AssertionError(f"{path}:{number}: expected a quoted string, found {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for catalogues written by GNU gettext / Django's makemessages."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    flags: set[str] = set()

    def finish() -> None:
        nonlocal current, flags
        if current is not None:
            entries.append(current)
        current, flags = None, set()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entry: never compiled
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            _continuation_read(current, target, line, path, number)
            continue
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
            finish()
        current, target = _keyword_read(
            current, keyword, rest, line=line, flags=flags, path=path, number=number
        )
    finish()
    return entries


def _continuation_read(
    current: Entry | None, target: tuple[str, int] | None, line: str, path: Path, number: int
) -> None:
    """Add a continuation line ("...") to the field the entry is reading."""
    if current is None or target is None:
        raise AssertionError(f"{path}:{number}: continuation line outside an entry")
    name, index = target
    value = _unquote(line, path, number)
    if name == "msgstr":
        current.msgstr[index] += value
    else:
        setattr(current, name, (getattr(current, name) or "") + value)


def _keyword_read(
    current: Entry | None,
    keyword: str,
    rest: str,
    *,
    line: str,
    flags: set[str],
    path: Path,
    number: int,
) -> tuple[Entry, tuple[str, int]]:
    """Read a msgctxt, msgid, msgid_plural or msgstr line: the entry, and the field now read."""
    # `flags` is the parser's own set, not a copy: flags read later join the same entry.
    if keyword == "msgctxt":
        entry = Entry(msgid="", msgctxt=_unquote(rest, path, number), flags=flags, line=number)
        return entry, ("msgctxt", 0)
    if keyword == "msgid":
        if current is None:
            current = Entry(msgid="", flags=flags, line=number)
        current.msgid = _unquote(rest, path, number)
        return current, ("msgid", 0)
    if keyword == "msgid_plural" and current is not None:
        current.msgid_plural = _unquote(rest, path, number)
        return current, ("msgid_plural", 0)
    if keyword.startswith("msgstr") and current is not None:
        match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
        if not match:
            raise AssertionError(f"{path}:{number}: cannot read {line!r}")
        index = int(match.group(1) or 0)
        current.msgstr[index] = _unquote(rest, path, number)
        return current, ("msgstr", index)
    raise AssertionError(f"{path}:{number}: cannot read {line!r}")


def _require_spanish_po() -> list[Entry]:
    if not SPANISH_PO.exists():
        pytest.fail(f"locale/es/LC_MESSAGES/django.po missing. {FIX}")
    return parse_po(SPANISH_PO)


def _where(entry: Entry) -> str:
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"  line {entry.line}: {entry.msgid!r}{context}"


def test_both_catalogues_exist():
    missing = [str(p.relative_to(REPO_ROOT)) for p in (SPANISH_PO, ENGLISH_PO) if not p.exists()]
    assert not missing, f"{', '.join(missing)} missing. {FIX}"


def test_spanish_catalogue_has_no_untranslated_entries():
    entries = _require_spanish_po()

    untranslated = [_where(e) for e in entries if not e.is_header and not e.translated]

    assert not untranslated, (
        f"{len(untranslated)} Spanish entries have an empty msgstr:\n" + "\n".join(untranslated)
    )


def test_spanish_catalogue_has_no_fuzzy_entries():
    entries = _require_spanish_po()

    fuzzy = [
        "  header (remove the '#, fuzzy' line above msgid \"\")" if e.is_header else _where(e)
        for e in entries
        if "fuzzy" in e.flags
    ]

    assert not fuzzy, (
        f"{len(fuzzy)} Spanish entries are marked fuzzy (msgfmt leaves them out); review them "
        "and remove the flag:\n" + "\n".join(fuzzy)
    )


def test_spanish_catalogue_passes_msgfmt_checks(tmp_path):
    """Placeholders agree between msgid and msgstr (python-format), headers are valid."""
    _require_spanish_po()
    msgfmt = require_tool("msgfmt", "cannot check placeholders of the Spanish catalogue")

    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(SPANISH_PO)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def _expected_catalog(entries: list[Entry]) -> dict:
    """What msgfmt would put in the .mo: translated, non-fuzzy entries, keyed as gettext does."""
    catalog: dict = {}
    for entry in entries:
        if entry.is_header or "fuzzy" in entry.flags or not entry.translated:
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            catalog[msgid] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                catalog[(msgid, index)] = text
    return catalog


@pytest.mark.parametrize("language", ["es", "en"])
def test_compiled_catalogue_is_committed_and_current(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not po.exists():
        pytest.fail(f"{po.relative_to(REPO_ROOT)} missing. {FIX}")
    assert mo.exists(), f"{mo.relative_to(REPO_ROOT)} missing: run `make compile-messages`."

    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    # _catalog is where GNUTranslations keeps what it read; the header sits under "".
    actual = {key: value for key, value in compiled._catalog.items() if key != ""}
    expected = _expected_catalog(parse_po(po))

    stale = sorted(
        str(key) for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key)
    )
    assert not stale, (
        f"{mo.relative_to(REPO_ROOT)} does not match the .po for {len(stale)} messages, e.g. "
        f"{stale[:5]}: run `make compile-messages` and commit the .mo."
    )


def _copy_sources(destination: Path) -> None:
    for path in REPO_ROOT.rglob("*"):
        relative = path.relative_to(REPO_ROOT)
        if any(part in IGNORED_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def test_spanish_catalogue_is_in_step_with_the_source(tmp_path):
    """Every string marked for translation in the code is in the .po, and nothing else is."""
    committed = _require_spanish_po()
    require_tool("xgettext", "cannot extract messages to compare with the committed catalogue")
    _copy_sources(tmp_path)
    (tmp_path / "locale").mkdir()

    # Run outside the project settings so that makemessages writes into the temporary copy.
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "es", "--no-location"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    extracted = parse_po(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po")

    wanted = {e.key for e in extracted if not e.is_header}
    present = {e.key for e in committed if not e.is_header}
    missing = sorted(wanted - present, key=str)
    unused = sorted(present - wanted, key=str)
    assert not missing and not unused, (
        f"locale/es/LC_MESSAGES/django.po is out of step with the source. {FIX}\n"
        f"Missing ({len(missing)}): {missing[:20]}\nNo longer in the code ({len(unused)}): "
        f"{unused[:20]}"
    )


# The names makemessages (xgettext) extracts strings from. A string marked through any other
# name, e.g. `gettext as _g`, is never extracted: it would stay English in the Spanish UI.
EXTRACTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
_TRANSLATION_IMPORT = re.compile(
    r"from django\.utils\.translation import \(?([^)]*?)\)?$", re.MULTILINE | re.DOTALL
)


def test_strings_are_marked_only_through_names_makemessages_reads():
    wrong = []
    for path in REPO_ROOT.rglob("*.py"):
        if {".venv", "node_modules", "build"} & set(path.parts):
            continue
        for found in _TRANSLATION_IMPORT.finditer(path.read_text(encoding="utf-8")):
            for name in found[1].replace("\n", " ").split(","):
                alias = name.split(" as ")[-1].strip()
                if alias and "gettext" in name and alias not in EXTRACTED_NAMES:
                    wrong.append(f"{path.relative_to(REPO_ROOT)}: {name.strip()}")
    assert wrong == [], "marked through a name makemessages does not read"
