"""Languages in tests: what the app chooses for a visitor, and the interface's words in each."""

from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from werkzeug.http import parse_cookie

from scripts.translations import catalogues
from shared_web.languages import DEFAULT, LANGUAGES, language_in_header

# Every catalogue of the checkout, merged: together they are the whole interface.
CATALOGUES = [str(catalogue.directory) for catalogue in catalogues()]


def app_language(cookie_header: str, accept_language: str) -> str:
    """Steps 2 to 4 of shared_web.languages: the `locale` cookie, Accept-Language, English."""
    chosen = LANGUAGES.get(parse_cookie(cookie_header).get("locale", ""))
    return (chosen or language_in_header(accept_language) or DEFAULT).tag


@cache
def _translations(language: str) -> NullTranslations:
    merged = Translations()
    for directory in CATALOGUES:
        merged.merge(Translations.load(directory, [LANGUAGES[language].locale]))
    return merged


def say(language: str, message: str, **values) -> str:
    """An interface message as the site writes it in `language`: say("zh-Hans", "Sign in")."""
    text = _translations(language).gettext(message)
    return text % values if values else text


def read(path: Path):
    """A .po/.pot or .mo catalogue, read by Babel."""
    with path.open("rb") as file:
        return read_po(file) if path.suffix in {".po", ".pot"} else read_mo(file)


def messages(catalog) -> dict:
    """msgid (with its context) → translation, for every real message of a catalogue."""
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)): m for m in catalog if m.id}


def translations(directory: Path, language: str = "zh_Hans") -> dict:
    """A translations/ folder's messages in one language: msgid → translation."""
    return {
        key: message.string
        for key, message in messages(
            read(directory / language / "LC_MESSAGES" / "messages.po")
        ).items()
    }
