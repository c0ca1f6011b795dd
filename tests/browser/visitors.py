"""Someone using the site in Chromium, every page they reach checked on arrival."""

from playwright.sync_api import Locator, Page, Response

from tests.browser.page_checks import (
    CHINESE_GLYPHS_DRAWN,
    FOCUS_FROM_THE_TOP,
    FOCUSED_ELEMENT,
    NON_TEXT_CONTRAST,
    SURVEY_PAGE,
    BrowserTrouble,
    backdrop,
    blend,
    contrast_problems,
    contrast_ratio,
    parse_color,
    structure_problems,
)
from tests.support.clients import PASSWORD
from tests.support.languages import say

PHONE = {"width": 375, "height": 740}
# The browser's own language setting, which it sends as Accept-Language.
BROWSER_LOCALES = {"en": "en-GB", "zh-Hans": "zh-CN"}
SCHEMES = ("light", "dark")
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000


class Visitor:
    """Someone using the site in the browser. Every page they reach is checked on arrival."""

    def __init__(
        self, page: Page, base_url: str, trouble: BrowserTrouble, scheme: str, language: str
    ):
        self.page = page
        self.base_url = base_url
        self.trouble = trouble
        self.scheme = scheme
        self.language = language
        self.checked_urls: list[str] = []

    def say(self, message: str, **values) -> str:
        """The interface's words in this visitor's language: say("Sign in") is 登录 in Chinese."""
        return say(self.language, message, **values)

    def url(self, path: str) -> str:
        return self.base_url + path

    def open(self, path: str, status: int = 200) -> Response:
        """Type an address into the browser; the page must answer `status`."""
        url = self.url(path)
        if status >= 400:
            self.trouble.expected_errors.add(url)
        response = self.page.goto(url)
        assert response is not None and response.status == status, (
            f"{path} answered {response and response.status}, not {status}"
        )
        self.check_page()
        return response

    def follow(self, target: Locator) -> Response:
        """Click a link or a submit button and check the page it leads to."""
        with self.page.expect_navigation() as navigation:
            target.click()
        response = navigation.value
        assert response is not None and response.status == 200, (
            f"{self.page.url} answered {response and response.status}"
        )
        self.check_page()
        return response

    def submit_refused(self, button: Locator) -> Response:
        """Submit a form the site should refuse: the form comes back (200 or 4xx) with errors."""
        self.trouble.expected_errors.add(button.evaluate("button => button.form.action"))
        with self.page.expect_navigation() as navigation:
            button.click()
        response = navigation.value
        assert response is not None and (response.status == 200 or 400 <= response.status < 500), (
            f"{self.page.url} answered {response and response.status}"
        )
        self.check_page()
        return response

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        """Sign in through the sign-in form, which leads on to a page that is checked too."""
        self.open("/login")
        self.page.get_by_label(self.say("Email")).fill(email)
        self.page.get_by_label(self.say("Password")).fill(password)
        self.follow(self.page.get_by_role("button", name=self.say("Sign in")))

    def check_page(self) -> None:
        """Everything a page must pass, in light and dark mode; fails naming what and where."""
        self.page.wait_for_load_state("load")
        problems = []
        for scheme in SCHEMES:
            self.page.emulate_media(color_scheme=scheme)
            survey = self.page.evaluate(SURVEY_PAGE)
            if scheme == self.scheme:
                problems += structure_problems(survey)
                if survey["lang"].startswith("zh") and not self.page.evaluate(CHINESE_GLYPHS_DRAWN):
                    problems.append("draws its Chinese without a Chinese font (empty boxes)")
            problems += contrast_problems(survey, scheme)
        self.page.emulate_media(color_scheme=self.scheme)
        problems += self.trouble.problems()
        # The document's address: a link to a place on the page (#make-token) loads no other.
        self.checked_urls.append(self.page.url.partition("#")[0])
        assert not problems, f"{self.page.url}:\n  " + "\n  ".join(problems)

    def tab_through(self, presses: int = 80) -> list[str]:
        """Tab through the page in both colour schemes; what had no clearly visible focus."""
        problems = []
        for scheme in SCHEMES:
            self.page.emulate_media(color_scheme=scheme)
            self.page.evaluate(FOCUS_FROM_THE_TOP)
            seen = set()
            for _ in range(presses):
                self.page.keyboard.press("Tab")
                focused = self.page.evaluate(FOCUSED_ELEMENT)
                if focused is None or focused["key"] in seen:
                    break  # back to the start: every stop has been visited
                seen.add(focused["key"])
                problems += focus_problems(focused, scheme)
            assert len(seen) > 1, f"{self.page.url}: Tab reached {len(seen)} element(s)"
        self.page.emulate_media(color_scheme=self.scheme)
        return problems

    def check_nothing_was_missed(self) -> None:
        """The test's last check: no trouble since the last page check, no page left unchecked."""
        problems = self.trouble.problems()
        problems += [
            f"reached but never checked: {url}"
            for url in self.trouble.documents
            if url not in self.checked_urls
        ]
        assert not problems, "\n  ".join(["after the last page:", *problems])


def focus_problems(focused: dict, scheme: str) -> list[str]:
    """Why the focused element's focus is not clearly visible (nothing: an empty list)."""
    where = f"{scheme} mode: {focused['what']}"
    if not focused["focusVisible"]:
        return [f"{where} is focused by Tab but does not match :focus-visible"]
    if not focused["inViewport"]:
        return [f"{where} is focused off screen"]
    if focused["outlineStyle"] == "none" or focused["outlineWidth"] < 2:
        return [f"{where} has no focus outline ({focused['outlineWidth']} px)"]
    under = backdrop(focused["layers"], scheme)
    ratio = contrast_ratio(blend(parse_color(focused["outlineColor"]), under), under)
    if ratio < NON_TEXT_CONTRAST:
        return [f"{where} focus outline contrast {ratio:.2f}:1, needs {NON_TEXT_CONTRAST}:1"]
    return []


def new_visitor(
    browser, base_url: str, scheme: str = "light", language: str = "en", **options
) -> Visitor:
    """A visitor in a fresh browser context (own cookies) at phone width; close its context.

    The browser is set to `language`, and asks the site for it as browsers do (Accept-Language).
    """
    context = browser.new_context(
        viewport=PHONE, color_scheme=scheme, locale=BROWSER_LOCALES[language], **options
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    trouble = BrowserTrouble(origin=base_url)

    def refuse(route):
        trouble.foreign_requests.append(route.request.url)
        route.abort()

    # Nothing leaves the machine: a request to any other origin is aborted and reported.
    context.route(trouble.is_foreign, refuse)
    page = context.new_page()
    trouble.watch(page)
    return Visitor(page, base_url, trouble, scheme, language)
