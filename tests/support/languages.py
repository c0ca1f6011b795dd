"""Languages in tests: what the app chooses for a visitor, and the interface's words in each."""

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from werkzeug.http import parse_cookie

import shared_web
from shared_web.languages import DEFAULT, LANGUAGES, language_in_header

# Both layouts' catalogues say the same (tests/test_translations.py): the functional one,
# over the shared ones, is the whole interface.
CATALOGUES = [
    *shared_web.SHARED_CATALOGUES,
    str(Path(__file__).resolve().parents[2] / "functional_layout" / "translations"),
]


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
