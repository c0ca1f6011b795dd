"""Which language a page speaks: the user's preference, the cookie, Accept-Language, English.

Also: the switcher (`POST /locale`) and its CSRF protection, `Vary`, dates and
numbers in each language, and the API staying English. test_languages_in_nginx.py
holds nginx to the same choice.
"""

import re
from pathlib import Path

import pytest

from shared_web.accept_headers import READ_LIMIT
from shared_web.languages import PROXY_HEADER, language_in_header
from tests.support.apps import make_app
from tests.support.clients import AuthActions, csrf_token_in
from tests.support.pages import main_text, parse, redirect_target

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx" / "inkpot.conf"


def page_language(response) -> str:
    return parse(response).find("html").attrs["lang"]


# --- Accept-Language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, None),
        ("", None),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-cn,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        # Traditional script is another written language: the site does not have it.
        ("zh-TW", None),
        ("zh-Hant", None),
        ("zh-HK,zh-TW;q=0.9", None),
        ("zh-TW,en;q=0.8", "en"),
        # ... but a reader who also accepts plain Chinese gets Simplified.
        ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-Hans"),
        # The first language the site has, in the order the header lists them.
        ("fr-FR,fr;q=0.9,zh;q=0.8,en;q=0.7", "zh-Hans"),
        ("de,en;q=0.5,zh;q=0.4", "en"),
        ("en,zh", "en"),
        # q=0 means "not this one".
        ("zh;q=0,en", "en"),
        ("zh;q=0.000, en;q=0.1", "en"),
        ("zh ; q = 0.5", "zh-Hans"),
        ("ZH-CN", "zh-Hans"),
        ("eng,zh", "zh-Hans"),
        ("*", None),
        ("zh;q=2", None),
    ],
)
def test_accept_language_picks_the_first_language_the_site_has(header, language):
    found = language_in_header(header)
    assert (found.tag if found else None) == language


def test_only_the_items_within_the_first_characters_of_accept_language_count():
    def language(header):
        found = language_in_header(header)
        return found.tag if found else None

    filler = "x" * (READ_LIMIT - 3)
    assert language(filler + ",zh") == "zh-Hans"  # ends right at the limit
    assert language(filler + "x,zh") is None  # one character past it
    assert language(filler + ",zh-TW") is None  # never read as the `zh` before the limit
    assert language("fr, " * 200 + "zh") is None


# --- The order of choice, in the app ----------------------------------------------------


def test_without_any_hint_pages_are_english(client):
    response = client.get("/")
    assert page_language(response) == "en"
    assert "Newest posts" in main_text(response)


def test_accept_language_chooses_chinese(client):
    response = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert page_language(response) == "zh-Hans"
    assert "最新文章" in main_text(response)


def test_the_cookie_wins_over_accept_language(client):
    client.set_cookie("locale", "en")
    assert page_language(client.get("/", headers={"Accept-Language": "zh"})) == "en"
    client.set_cookie("locale", "zh-Hans")
    assert page_language(client.get("/", headers={"Accept-Language": "en"})) == "zh-Hans"


def test_a_cookie_naming_no_language_of_the_site_is_ignored(client):
    client.set_cookie("locale", "fr")
    assert page_language(client.get("/", headers={"Accept-Language": "zh"})) == "zh-Hans"


def test_a_signed_in_users_preference_wins_over_cookie_and_header(app, client, make_user):
    from shared_models import accounts, db
    from shared_models.models import User

    user_id = make_user("pref")
    with app.app_context():
        accounts.set_language(db.session.get(User, user_id), "zh-Hans")
    client.set_cookie("locale", "en")
    AuthActions(client).login("pref@example.com")

    response = client.get("/dashboard/", headers={"Accept-Language": "en"})

    assert page_language(response) == "zh-Hans"
    assert "我的文章" in main_text(response)


def test_a_signed_in_user_without_a_preference_follows_the_cookie(client, auth, make_user):
    make_user("nopref")
    auth.login("nopref@example.com")
    client.set_cookie("locale", "zh-Hans")
    assert page_language(client.get("/dashboard/")) == "zh-Hans"


def test_behind_nginx_the_app_takes_the_language_nginx_worked_out(layout, database_url):
    app = make_app(layout, database_url, TRUST_PROXY_HEADERS=True)
    client = app.test_client()
    client.set_cookie("locale", "en")

    response = client.get("/", headers={PROXY_HEADER: "zh-Hans", "Accept-Language": "en"})

    assert page_language(response) == "zh-Hans"


def test_without_a_proxy_to_trust_the_header_is_ignored(client):
    response = client.get("/", headers={PROXY_HEADER: "zh-Hans"})
    assert page_language(response) == "en"


# --- Vary ----------------------------------------------------------------------------


def test_a_page_chosen_by_cookie_or_header_says_it_varies_on_both(client):
    vary = client.get("/").headers.get("Vary", "")
    assert {"Cookie", "Accept-Language"} <= {part.strip() for part in vary.split(",")}


def test_a_page_chosen_by_the_cookie_varies_on_the_cookie(client):
    client.set_cookie("locale", "zh-Hans")
    vary = {part.strip() for part in client.get("/").headers.get("Vary", "").split(",")}
    assert "Cookie" in vary


def test_a_response_without_words_does_not_vary_on_accept_language(client):
    vary = client.get("/healthz").headers.get("Vary", "")
    assert "Accept-Language" not in vary


# --- The switcher: POST /locale --------------------------------------------------------


def switch(client, locale, next_path="/", token=True, headers=None):
    data = {"locale": locale, "next": next_path}
    if token:
        return client.submit("/locale", data, headers=headers)
    return client.post("/locale", data=data, headers=headers)


def test_the_switcher_remembers_the_choice_in_a_cookie_and_goes_back(client):
    response = switch(client, "zh-Hans", "/sites/nobody/?page=2")

    assert redirect_target(response) == ("/sites/nobody/", {"page": "2"})
    cookie = client.get_cookie("locale")
    assert cookie.value == "zh-Hans"
    assert cookie.http_only
    assert page_language(client.get("/")) == "zh-Hans"


def test_the_switcher_goes_back_to_same_site_pages_only(client):
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example"]:
        assert redirect_target(switch(client, "en", target))[0] == "/"


def test_the_switcher_refuses_a_language_the_site_does_not_have(client):
    response = switch(client, "fr")
    assert response.status_code == 400
    assert client.get_cookie("locale") is None


def test_every_page_offers_the_switch_to_the_other_language(client):
    page = parse(client.get("/login?next=/dashboard/"))
    form = page.find("form", action="/locale")

    (button,) = form.find_all("button", name="locale")
    assert (button.attrs["value"], button.attrs["lang"], button.words) == (
        "zh-Hans",
        "zh-Hans",
        "简体中文",
    )
    assert form.find("input", name="next").attrs["value"] == "/login"


def test_a_public_page_for_a_visitor_without_a_session_sets_no_cookie(client):
    # So nginx may keep it for the next visitor: the switcher there carries no token.
    response = client.get("/")
    assert response.headers.get("Set-Cookie") is None
    form = parse(response).find("form", action="/locale")
    assert form.find("input", name="csrf_token") is None


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"}]
)
def test_a_visitor_may_switch_without_a_token_when_the_browser_vouches_for_the_site(
    client, headers
):
    response = switch(client, "zh-Hans", token=False, headers=headers)

    assert response.status_code == 302
    assert client.get_cookie("locale").value == "zh-Hans"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:8080"},
        {"Origin": "null"},
    ],
)
def test_a_switch_from_another_site_is_refused_and_changes_nothing(client, headers):
    response = switch(client, "zh-Hans", token=False, headers=headers)

    assert response.status_code == 400
    assert client.get_cookie("locale") is None


def test_a_signed_in_user_needs_the_token_even_from_this_site(client, auth, make_user, find_user):
    make_user("csrf")
    auth.login("csrf@example.com")

    response = switch(client, "zh-Hans", token=False, headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 400
    assert find_user("csrf").locale is None


def test_a_made_up_token_is_refused_even_from_this_site(client):
    response = client.post(
        "/locale",
        data={"locale": "zh-Hans", "csrf_token": "made-up"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 400


def test_a_signed_in_users_switch_becomes_their_preference(client, auth, make_user, find_user):
    make_user("chooser")
    auth.login("chooser@example.com")

    response = switch(client, "zh-Hans", "/dashboard/")

    assert redirect_target(response)[0] == "/dashboard/"
    assert find_user("chooser").locale == "zh-Hans"
    # On another browser, with no cookie, the preference follows them.
    other = client.application.test_client()
    AuthActions(other).login("chooser@example.com")
    assert page_language(other.get("/dashboard/", headers={"Accept-Language": "en"})) == "zh-Hans"


def test_the_account_page_sets_the_language_too(client, auth, make_user, find_user):
    make_user("settler")
    auth.login("settler@example.com")
    page = client.get("/dashboard/account")
    form = parse(page).find("form", action="/locale")
    options = [(option.attrs["value"], option.words) for option in form.find_all("option")]
    assert options == [("en", "English"), ("zh-Hans", "简体中文")]

    response = client.post(
        "/locale",
        data={
            "csrf_token": csrf_token_in(page.get_data(as_text=True)),
            "locale": "zh-Hans",
            "next": form.find("input", name="next").attrs["value"],
        },
    )

    assert redirect_target(response)[0] == "/dashboard/account"
    assert find_user("settler").locale == "zh-Hans"
    assert "语言" in main_text(client.get("/dashboard/account"))


# --- Words, dates and numbers in each language ------------------------------------------


def test_dates_are_written_the_way_the_language_writes_them(client, make_user, make_post):
    writer = make_user("dater")
    make_post(writer, "Dated")

    english = main_text(client.get("/sites/dater/"))
    client.set_cookie("locale", "zh-Hans")
    chinese = parse(client.get("/sites/dater/"))

    assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b", english)
    time = chinese.find("time")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", time.words)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", time.attrs["datetime"])


def test_the_feed_keeps_iso_dates_and_no_interface_words(client, make_user, make_post):
    writer = make_user("feeder")
    make_post(writer, "Fed")
    english = client.get("/sites/feeder/feed.xml").data
    client.set_cookie("locale", "zh-Hans")
    assert client.get("/sites/feeder/feed.xml").data == english


def test_a_rule_of_the_domain_is_told_in_the_pages_language(client, auth, make_user):
    make_user("ruler")
    auth.login("ruler@example.com")
    client.set_cookie("locale", "zh-Hans")

    response = client.submit("/dashboard/posts/new", {"title": "x", "body": "y" * 100_001})

    assert "请控制在 100,000 个字符以内。" in main_text(response)


def test_flash_messages_are_in_the_pages_language(client, auth, make_user):
    make_user("flasher")
    client.set_cookie("locale", "zh-Hans")
    auth.login("flasher@example.com")

    response = client.submit("/logout", follow_redirects=True)

    assert "你已退出登录。" in main_text(response)


def test_the_domain_keeps_english_for_the_api():
    from shared_models import RuleViolation
    from shared_models.text_rules import check_text

    with pytest.raises(RuleViolation) as refused:
        check_text("x" * 101, "title", 100)
    assert refused.value.message == "Keep this under 100 characters."
    assert refused.value.values == {"max": 100}


def test_the_api_answers_in_english_whatever_the_visitor_reads(client):
    headers = {"Accept-Language": "zh-CN", "Cookie": "locale=zh-Hans"}
    problem = client.get("/api/v1/sites/nobody", headers=headers)
    docs = client.get("/api/v1/docs", headers=headers)

    assert problem.get_json()["detail"] == "There is nothing here."
    assert page_language(docs) == "en"
    assert parse(docs).find("form", action="/locale") is None


def test_the_api_refuses_a_rule_in_english(client, auth, make_user, app):
    from shared_models import api_tokens, db
    from shared_models.models import User

    user_id = make_user("apier")
    with app.app_context():
        _, secret = api_tokens.create_token(db.session.get(User, user_id), "Script", "write")
    response = client.post(
        "/api/v1/me/posts",
        json={"title": "x" * 201, "body": ""},
        headers={"Authorization": f"Bearer {secret}", "Accept-Language": "zh"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["title"] == ["Keep this under 200 characters."]


def test_the_500_page_speaks_the_visitors_language_even_with_the_database_down(
    app, client, auth, make_user, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from shared_web.extensions import login_manager

    @app.get("/test-only/down")
    def down():
        raise OperationalError("SELECT 1", {}, Exception("the database is down"))

    app.config["PROPAGATE_EXCEPTIONS"] = False

    def database_down(session_id):
        raise OperationalError("SELECT 1", {}, Exception("the database is down"))

    make_user("unlucky")
    auth.login("unlucky@example.com")
    client.set_cookie("locale", "zh-Hans")
    monkeypatch.setattr(login_manager, "_user_callback", database_down)

    response = client.get("/test-only/down")

    assert response.status_code == 500
    assert page_language(response) == "zh-Hans"
    assert "出错了" in main_text(response)


def test_pages_speak_the_language_of_their_html_lang(client):
    for language in ["en", "zh-Hans"]:
        client.set_cookie("locale", language)
        for url in ["/", "/login", "/signup", "/no-such-page"]:
            assert page_language(client.get(url)) == language, (language, url)
