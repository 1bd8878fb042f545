"""The French catalogue: complete, compiled, and in use.

The compiled .mo files are committed so a fresh machine needs no gettext; this
test fails when a .po was changed without recompiling it.
"""

import ast
import gettext
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))


def parse_po(path: Path) -> list[dict[str, object]]:
    """A small .po reader: entries with msgctxt, msgid, msgid_plural, msgstr(s), flags."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    key: str | None = None

    def flush() -> None:
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = None
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert key, f"continuation without a key in {path}: {raw}"
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key.startswith("msgid") or key.startswith("msgctxt") or "msgstr" in key:
                if "msgid" in entry and key == "msgctxt":
                    flush()
                entry[key] = ast.literal_eval(value)
    flush()
    return entries


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(po):
    for entry in parse_po(po):
        if entry["msgid"] == "":
            continue
        assert "fuzzy" not in entry.get("flags", set()), entry["msgid"]
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        assert translations and all(translations), f"untranslated: {entry['msgid']!r}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_the_compiled_catalogue_matches_the_po_file(po):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in parse_po(po):
        msgid = entry["msgid"]
        if msgid == "":
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for n, form in ((1, "msgstr[0]"), (2, "msgstr[1]")):
                got = (
                    compiled.npgettext(context, msgid, entry["msgid_plural"], n)
                    if context
                    else compiled.ngettext(msgid, entry["msgid_plural"], n)
                )
                assert got == entry[form], f"stale .mo for {msgid!r}: run `make messages`"
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            assert got == entry["msgstr"], f"stale .mo for {msgid!r}: run `make messages`"


@pytest.mark.django_db
def test_the_language_switch_shows_the_customer_area_in_french(owner_client):
    response = owner_client.post("/i18n/setlang/", {"language": "fr", "next": "/"}, follow=True)
    content = response.content.decode()
    assert '<html lang="fr">' in content
    assert "Tableau de bord" in content
    assert "Campagnes" in content


@pytest.mark.django_db
def test_the_login_page_follows_the_browser_language(client):
    content = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in content
    assert "Connexion" in content


def test_a_client_without_login_still_gets_english_by_default():
    content = Client().get("/accounts/login/").content.decode()
    assert '<html lang="en">' in content
