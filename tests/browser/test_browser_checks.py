"""The page checks themselves: they must catch the faults the journeys rely on them to catch."""

import os
from pathlib import Path

import pytest

from deploy import LAYOUTS
from scripts.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.page_checks import contrast_ratio, text_contrast
from tests.browser.visitors import new_visitor
from tests.support.machine import unavailable

pytestmark = pytest.mark.slow

# The checks do not depend on the layout or the language; one of each is enough.
in_english = pytest.mark.parametrize("language", ["en"])

CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'"
)
BROKEN_PAGE = """<!doctype html>
<html><head><title> </title><link rel="stylesheet" href="/broken.css"></head>
<body>
  <h1>One heading</h1><h1>Two headings</h1>
  <main>
    <input type="text" name="nameless">
    <img src="/static/no-such-picture.png">
    <img src="https://example.invalid/tracker.gif" alt="">
    <p class="pale">Pale grey words on white.</p>
    <p class="wide">Far too wide for a phone.</p>
    <script>document.title = "ran";</script>
  </main>
</body></html>"""
BROKEN_STYLES = """
body { background: #ffffff; color: #111111; }
.pale { color: #aaaaaa; }
.wide { width: 600px; }
"""
FOCUS_PAGE = """<!doctype html>
<html lang="en"><head><title>Focus</title><link rel="stylesheet" href="/focus.css"></head>
<body><header><nav><a href="#a">A link with a faint ring</a></nav></header>
<main><h1>Focus</h1><button type="button">A button with no ring</button></main></body></html>"""
FOCUS_STYLES = """
body { background: #ffffff; color: #111111; }
a:focus-visible { outline: 2px solid #dddddd; }
button:focus-visible { outline: none; }
"""


def serve(page, url, body, content_type, headers=None):
    """Answer `url` in this page with a made-up response instead of the site's."""
    page.route(
        url,
        lambda route: route.fulfill(
            status=200, content_type=content_type, body=body, headers=headers or {}
        ),
    )


def test_contrast_ratios_match_wcag_reference_values():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    # #767676 on white is the lightest grey that passes 4.5:1; #777777 just fails.
    assert contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) < 4.5


def test_large_and_faded_text_are_judged_as_wcag_says():
    white = [{"background": "rgb(255, 255, 255)", "opacity": 1.0}]
    grey = {"color": "rgb(130, 130, 130)", "weight": 400, "layers": white}
    assert text_contrast({**grey, "size": 16}, "light")[1] == 4.5
    assert text_contrast({**grey, "size": 24}, "light")[1] == 3.0
    assert text_contrast({**grey, "size": 19, "weight": 700}, "light")[1] == 3.0
    black = {"color": "rgb(0, 0, 0)", "size": 16, "weight": 400}
    faded = {**black, "layers": [{"background": "rgba(0, 0, 0, 0)", "opacity": 0.3}, *white]}
    assert text_contrast(faded, "light")[0] < 4.5


@pytest.mark.parametrize("layout", LAYOUTS[:1])
@in_english
def test_page_checks_report_everything_a_broken_page_does_wrong(visitor):
    page = visitor.page
    serve(
        page,
        visitor.url("/broken"),
        BROKEN_PAGE,
        "text/html",
        {"Content-Security-Policy": CSP},
    )
    serve(page, visitor.url("/broken.css"), BROKEN_STYLES, "text/css")
    with pytest.raises(AssertionError) as failure:
        visitor.open("/broken")
    report = str(failure.value)
    for problem in [
        "scrolls sideways",
        "has 2 h1 elements, not one",
        "has 0 nav landmarks",
        "has 0 header landmarks",
        "has no <html lang>",
        "has no <title>",
        "form controls without a label: ['input \"",
        "images without alt: ['/static/no-such-picture.png']",
        "light mode: p.pale",
        "dark mode: p.pale",
        "Content Security Policy",
        "/static/no-such-picture.png: 404",
        "request to another host: https://example.invalid/tracker.gif",
    ]:
        assert problem in report, report


@pytest.mark.parametrize("layout", LAYOUTS[:1])
@in_english
def test_focus_check_reports_a_missing_or_faint_focus_outline(visitor):
    page = visitor.page
    serve(page, visitor.url("/focus"), FOCUS_PAGE, "text/html")
    serve(page, visitor.url("/focus.css"), FOCUS_STYLES, "text/css")
    visitor.page.goto(visitor.url("/focus"))
    report = "\n".join(visitor.tab_through())
    assert 'a "A link with a faint ring" focus outline contrast' in report
    assert 'button "A button with no ring" has no focus outline' in report


@pytest.mark.parametrize("layout", LAYOUTS[:1])
@in_english
def test_a_page_reached_without_being_checked_is_reported(visitor):
    page = visitor.page
    visitor.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(visitor.url("/login"))
    with pytest.raises(AssertionError, match=r"reached but never checked: .*/login"):
        visitor.check_nothing_was_missed()


@pytest.mark.parametrize("layout", LAYOUTS[:1])
@in_english
def test_an_expected_error_page_is_not_reported_but_an_unexpected_one_is(visitor):
    visitor.open("/no-such-page", status=404)
    visitor.check_nothing_was_missed()
    with pytest.raises(AssertionError, match="answered 404, not 200"):
        visitor.open("/another-missing-page")
    assert any("another-missing-page: 404" in problem for problem in visitor.trouble.problems())


# A fontconfig that knows only DejaVu, a Latin font: as a machine without fonts-noto-cjk.
LATIN_FONTS_ONLY = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.mark.parametrize("layout", LAYOUTS[:1])
def test_chinese_drawn_without_a_chinese_font_is_reported(browser, live_server, tmp_path):
    if not Path("/usr/share/fonts/truetype/dejavu").is_dir():
        unavailable("this check needs DejaVu, Debian's default Latin font (fonts-dejavu-core)")
    config = tmp_path / "fonts.conf"
    config.write_text(LATIN_FONTS_ONLY.format(cache=tmp_path / "cache"))
    # A second Chromium, of the same Playwright, that sees no Chinese font.
    latin_only = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
    )
    try:
        visitor = new_visitor(latin_only, live_server.url, language="zh-Hans")
        with pytest.raises(AssertionError, match="draws its Chinese without a Chinese font"):
            visitor.open("/")
        new_visitor(latin_only, live_server.url, language="en").open("/")  # English needs none
    finally:
        latin_only.close()
