"""Which language a page speaks, English or Simplified Chinese: chosen once, for both layouts.

A page's language is, in this order:

1. a signed-in user's preference (`User.locale`, set on the account page or
   with the footer's switcher);
2. the visitor's own choice from the footer's switcher, kept in the `locale`
   cookie;
3. the first language in the browser's `Accept-Language` header that the site
   has (in the order the header lists them; a `q=0` one is refused; only its
   first few hundred characters are read, shared_web/accept_headers.py);
4. English.

nginx's micro-cache keeps one copy of a public page per language, keyed on
steps 2 and 3 worked out by its own `map`s (deploy/nginx/inkpot.conf); signed-in
visitors never get a cached page. nginx passes what it worked out to the app
as X-Inkpot-Language, and behind it (TRUST_PROXY_HEADERS) the app takes that
as steps 2 and 3, so the copy nginx stores under a language is always in that
language. Without nginx (development, tests), the app reads the cookie and the
header itself, by the same rules (tests/test_languages.py holds the two to it).

Everything under /api/ stays English: the API's messages are part of its contract.
"""

import functools
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, format_number, get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from shared_models import RuleViolation, outbox
from shared_web.accept_headers import accepted_values
from shared_web.extensions import csrf
from shared_web.problems import is_api_request
from shared_web.redirects import safe_next_path


@dataclass(frozen=True)
class Language:
    """A language the interface is written in."""

    tag: str  # BCP 47: <html lang>, the cookie, the switcher's value, User.locale
    locale: str  # Babel's name for it: the catalogues' folders (translations/<locale>/)
    name: str  # as its own readers write it, for the switcher
    date_format: str  # CLDR patterns, for Babel: a day, and a moment
    datetime_format: str


ENGLISH = Language("en", "en", "English", "d MMM y", "d MMM y, HH:mm 'UTC'")
SIMPLIFIED_CHINESE = Language(
    "zh-Hans", "zh_Hans", "简体中文", "y年M月d日", "y年M月d日 HH:mm 'UTC'"
)
LANGUAGES = {language.tag: language for language in (ENGLISH, SIMPLIFIED_CHINESE)}
DEFAULT = ENGLISH

COOKIE = "locale"
COOKIE_MAX_AGE = timedelta(days=365)
# What nginx worked out from the cookie and Accept-Language (see the docstring above).
PROXY_HEADER = "X-Inkpot-Language"


def language_of_tag(tag: str) -> Language | None:
    """The language an Accept-Language tag names, if the site has it.

    English in any region, or Chinese in simplified script. A bare `zh` is taken
    for Simplified Chinese; Chinese in traditional script (zh-Hant, zh-TW, zh-HK,
    zh-MO) is a language the site does not have. deploy/nginx/inkpot.conf holds
    the same rule in its $inkpot_accepted_language map: change both.
    """
    if not tag.isascii():
        return None
    subtags = tag.lower().split("-")
    if not all(subtag.isalnum() for subtag in subtags):
        return None
    if subtags[0] == "en":
        return ENGLISH
    if subtags[0] == "zh" and subtags[1:2] in ([], ["hans"], ["cn"], ["sg"], ["my"]):
        return SIMPLIFIED_CHINESE
    return None


def language_in_header(header: str | None) -> Language | None:
    """The first language of an Accept-Language header that the site has, if any."""
    for tag in accepted_values(header):
        language = language_of_tag(tag)
        if language:
            return language
    return None


def visitors_choice() -> Language:
    """Steps 2 to 4: the cookie, Accept-Language, English; nginx's verdict when behind it."""
    if current_app.config["TRUST_PROXY_HEADERS"]:
        worked_out = LANGUAGES.get(request.headers.get(PROXY_HEADER, ""))
        if worked_out:
            g.language_varies_on = ("Cookie", "Accept-Language")
            return worked_out
    chosen = LANGUAGES.get(request.cookies.get(COOKIE, ""))
    if chosen:
        g.language_varies_on = ("Cookie",)
        return chosen
    g.language_varies_on = ("Cookie", "Accept-Language")
    return language_in_header(request.headers.get("Accept-Language")) or DEFAULT


def users_choice() -> Language | None:
    """Step 1: the signed-in user's preference, if they have one the site still offers."""
    try:
        if not current_user.is_authenticated:
            return None
        preference = current_user.locale
    except SQLAlchemyError:
        # The database is down and the 500 page is being drawn: do without the user.
        return None
    # Who is signed in comes from the session cookie.
    g.language_varies_on = ("Cookie",)
    return LANGUAGES.get(preference or "")


def select_language() -> str:
    """Flask-Babel's locale selector: the page's language, once per request."""
    if is_api_request():
        return ENGLISH.locale
    language = users_choice() or visitors_choice()
    return language.locale


def language_named(tag: str | None) -> Language:
    """The language with this tag, or the default one for a tag the site does not have."""
    return LANGUAGES.get(tag or "", DEFAULT)


def page_language() -> str | None:
    """The tag of the page being answered, for the emails it queues; None outside a page."""
    if not has_request_context() or is_api_request():
        return None
    return current_language().tag


def current_language() -> Language:
    """The language of the page being drawn (or of the email being written)."""
    locale = str(get_locale() or DEFAULT.locale)
    return next((lang for lang in LANGUAGES.values() if lang.locale == locale), DEFAULT)


def send_vary(response):
    """Tell caches which request headers chose this page's language, when any did."""
    for header in g.get("language_varies_on", ()):
        response.vary.add(header)
    return response


def chosen_language(tag: str | None) -> Language | None:
    """The language a switcher or a form asked for, if the site has it."""
    return LANGUAGES.get(tag or "")


def remember_choice(response, language: Language) -> None:
    """Keep the visitor's choice in the `locale` cookie, for a year."""
    response.set_cookie(
        COOKIE,
        language.tag,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def switch_back_path() -> str:
    """Where the switcher returns to: this page, if a GET can come back to it.

    A `next` in the page's own query is left out: the page never repeats a target
    it was handed, safe or not (the sign-in page checks its own).
    """
    if request.method != "GET":
        return "/"
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "next"])
    return safe_next_path(f"{request.path}?{query}" if query else request.path) or "/"


def switch_token() -> str | None:
    """The page's CSRF token for the switcher, only if the page has a session already.

    The public pages are cached by nginx for every visitor without a session, so
    they must set no cookie; a token would need a session, and so a cookie.
    Without a token, `protect_switch` asks for the browser's proof that the
    form came from this site instead.
    """
    if current_user.is_authenticated or _token_field() in session:
        return generate_csrf()
    return None


def protect_switch(view):
    """CSRF protection for the language switcher, which a cached page shows without a token.

    A signed-in user (the switch changes their account) and any form that carries
    a token get the usual token check. An anonymous visitor's switch without a
    token goes through only when the browser says it was sent by this very site
    (Sec-Fetch-Site: same-origin, or an Origin of this site): a browser sends
    these by itself, and no other site can forge them.
    """

    @functools.wraps(view)
    def protected(*args, **kwargs):
        if current_user.is_authenticated or request.form.get(_token_field()):
            csrf.protect()
        elif not _sent_from_this_site():
            raise CSRFError("The language switch was not sent from this site.")
        return view(*args, **kwargs)

    csrf.exempt(protected)  # from the app-wide check, which would ask every form for a token
    return protected


def _token_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _sent_from_this_site() -> bool:
    fetched_from = request.headers.get("Sec-Fetch-Site")
    if fetched_from is not None:
        return fetched_from == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and _same_origin(origin, request.host_url)


def _same_origin(origin: str, site_url: str) -> bool:
    default_ports = {"http": 80, "https": 443}

    def parts(url):
        split = urlsplit(url)
        try:
            port = split.port or default_ports.get(split.scheme)
        except ValueError:
            return None
        return split.scheme, (split.hostname or "").lower(), port

    theirs = parts(origin)
    return theirs is not None and theirs == parts(site_url)


def translate_violation(violation: RuleViolation) -> str:
    """A rule the domain refused, in the page's language; its numbers written the local way."""
    values = {
        name: format_number(value) if isinstance(value, int) else value
        for name, value in violation.values.items()
    }
    return gettext(violation.message_id, **values)


def template_context() -> dict:
    """What every template may use: the page's language, the others, the switcher's pieces."""
    return {
        "current_language": current_language(),
        "languages": list(LANGUAGES.values()),
        "switch_token": switch_token,
        "switch_back_path": switch_back_path,
    }


def init_app(app: Flask, shared_catalogues: list[str]) -> None:
    """Give the app Flask-Babel: the shared catalogues, then the app's own, merged in order."""
    own = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([*shared_catalogues, own])
    # One Babel per app: Flask-Babel caches the loaded catalogues on the instance,
    # and two apps in one process (the tests) each have catalogues of their own.
    Babel(app, locale_selector=select_language, default_timezone="UTC")
    app.after_request(send_vary)
    app.context_processor(template_context)
    outbox.language_of_request(app, page_language)
