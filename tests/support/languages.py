"""The language the app gives a visitor without a session, from the two headers that decide it."""

from werkzeug.http import parse_cookie

from shared_web.languages import DEFAULT, LANGUAGES, language_in_header


def app_language(cookie_header: str, accept_language: str) -> str:
    """Steps 2 to 4 of shared_web.languages: the `locale` cookie, Accept-Language, English."""
    chosen = LANGUAGES.get(parse_cookie(cookie_header).get("locale", ""))
    return (chosen or language_in_header(accept_language) or DEFAULT).tag
