"""Proof that the two layouts are one site arranged two ways: same URLs, same views, same pages.

Pages are compared in every language the site speaks.
"""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jinja2 import FileSystemLoader

from deploy import LAYOUTS
from shared_models import db
from shared_models.demo import DEMO_ADMIN, DEMO_PASSWORD
from tests.support.apps import IDLE_BROKER_URL, make_app
from tests.support.languages import say, translations
from tests.support.pages import without_csrf_tokens

ROOT = Path(__file__).resolve().parent.parent
AREAS = ["home", "sites", "control_panel", "admin", "api"]

# The one expected difference in the URL maps: each divisional area serves its own static folder.
EXPECTED_STATIC_ROUTES = {
    "functional": {("/static/<path:filename>", "static")},
    "divisional": {
        ("/static/<path:filename>", "static"),
        ("/home/static/<path:filename>", "home.static"),
        ("/sites/static/<path:filename>", "sites.static"),
        ("/dashboard/static/<path:filename>", "control_panel.static"),
        ("/admin/static/<path:filename>", "admin.static"),
    },
}


@pytest.fixture
def apps(database_url):
    """Both layouts on one shared database."""
    apps = {layout: make_app(layout, database_url) for layout in LAYOUTS}
    yield apps
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()


def url_map(app):
    """(rule, methods, endpoint) of every route but static files."""
    return {
        (rule.rule, frozenset(rule.methods), rule.endpoint)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static")
    }


def test_both_layouts_expose_the_same_url_map(apps):
    assert url_map(apps["functional"]) == url_map(apps["divisional"])


def test_static_routes_differ_only_as_expected(apps):
    for layout, app in apps.items():
        static = {
            (rule.rule, rule.endpoint)
            for rule in app.url_map.iter_rules()
            if rule.endpoint.endswith("static")
        }
        assert static == EXPECTED_STATIC_ROUTES[layout]


def test_every_endpoint_has_the_same_view_function_name_and_docstring(apps):
    functional, divisional = (apps[name].view_functions for name in ("functional", "divisional"))
    for endpoint, view in functional.items():
        if endpoint.endswith("static"):
            continue
        twin = divisional[endpoint]
        assert (view.__name__, view.__doc__) == (twin.__name__, twin.__doc__), endpoint


def test_views_live_in_each_layouts_own_place(apps):
    for endpoint, view in apps["functional"].view_functions.items():
        if "." in endpoint and not endpoint.endswith("static"):
            area = endpoint.split(".")[0]
            assert view.__module__ == f"functional_layout.views.{area}"
    for endpoint, view in apps["divisional"].view_functions.items():
        if "." in endpoint and not endpoint.endswith("static"):
            area = endpoint.split(".")[0]
            assert view.__module__ == f"divisional_layout.{area}.views"


def template_sources(app):
    """Every template name each loader (the app's and each blueprint's) can serve."""
    sources = {}
    loaders = [("app", app.jinja_loader)] + [
        (name, bp.jinja_loader) for name, bp in app.blueprints.items()
    ]
    for owner, loader in loaders:
        if loader is None:
            continue
        assert isinstance(loader, FileSystemLoader)
        for name in loader.list_templates():
            sources.setdefault(name, []).append(owner)
    return sources


def test_no_template_name_is_shadowed_in_either_layout(apps):
    for app in apps.values():
        shadowed = {
            name: owners for name, owners in template_sources(app).items() if len(owners) > 1
        }
        assert not shadowed


def test_both_layouts_have_the_same_template_names(apps):
    assert set(template_sources(apps["functional"])) == set(template_sources(apps["divisional"]))


def test_each_divisional_area_serves_its_templates_from_its_own_package(apps):
    app = apps["divisional"]
    with app.app_context():
        for name, owners in template_sources(app).items():
            area = name.split("/")[0]
            source = Path(app.jinja_env.get_template(name).filename)
            if area in AREAS:
                assert owners == [area]
                assert source.is_relative_to(ROOT / "divisional_layout" / area / "templates" / area)
            else:
                assert owners == ["app"]
                assert source.is_relative_to(ROOT / "divisional_layout" / "templates")


def test_functional_templates_are_namespaced_by_area(apps):
    sources = template_sources(apps["functional"])
    assert all(owners == ["app"] for owners in sources.values())
    assert {name.split("/")[0] for name in sources} >= set(AREAS)


STATIC_URL = re.compile(r"(?:/[a-z_]+)?/static/(?:[\w.-]+/)*([\w.-]+)")
# The account page's list of sessions, in either language: each layout's browser signed in
# at its own moment.
SESSION_TIMES = re.compile(
    r"(signed in|last active|登录于|最近活动于) <time datetime=\"[^\"]*\">[^<]*</time>"
)


def normalise(html: str) -> str:
    """Drop what legitimately differs: CSRF tokens, where static files live, sign-in times."""
    html = STATIC_URL.sub(r"STATIC/\1", without_csrf_tokens(html))
    return SESSION_TIMES.sub(r"\1 <time>WHEN</time>", html)


# The account page lists when each session began and was last active, to the second;
# each layout signs in at its own moment, so both are given this one (recent enough
# for the sessions to be live).
SESSION_TIME = datetime.now(UTC).replace(microsecond=0)


def pin_session_times(app) -> None:
    from shared_models.models import UserSession

    with app.app_context():
        db.session.execute(
            db.update(UserSession).values(created_at=SESSION_TIME, last_seen_at=SESSION_TIME)
        )
        db.session.commit()


# Every comparison of pages runs once per language.
LANGUAGES = ["en", "zh-Hans"]


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


def render_everywhere(apps, urls, email=None, language="en"):
    pages = {}
    for layout, app in apps.items():
        client = app.test_client()
        client.set_cookie("locale", language)
        if email:
            response = client.submit("/login", {"email": email, "password": DEMO_PASSWORD})
            assert response.status_code == 302
            pin_session_times(app)
        pages[layout] = {}
        for url in urls:
            response = client.get(url)
            pages[layout][url] = (response.status_code, normalise(response.get_data(as_text=True)))
        if email:
            # So the next layout's account page lists one session, its own, as this one did.
            assert client.submit("/logout").status_code == 302
    return pages


@pytest.fixture
def seeded(apps):
    from shared_models.demo import seed_demo
    from shared_models.models import Post

    with apps["functional"].app_context():
        seed_demo()
        ada_posts = (
            db.session.execute(db.select(Post).join(Post.site).where(Post.site.has(slug="ada")))
            .scalars()
            .all()
        )
        published = next(post for post in ada_posts if post.is_published)
        draft = next(post for post in ada_posts if not post.is_published)
        return {"published": (published.id, published.slug), "draft": draft.id}


def assert_same_pages(pages):
    for url, (status, html) in pages["functional"].items():
        assert pages["divisional"][url] == (status, html), f"{url} renders differently"


def test_public_pages_render_the_same_html_in_both_layouts(apps, seeded, language):
    _, slug = seeded["published"]
    urls = [
        "/",
        "/?page=2",
        "/sites/ada/",
        f"/sites/ada/{slug}",
        "/sites/ada/feed.xml",
        "/sites/grace/",
        "/login",
        "/signup",
        "/confirm/resend",
        "/confirm/not-a-token",
        "/password/forgot",
        "/password/reset/not-a-token",
        "/healthz",
        "/no-such-page",
        "/sites/nobody/",
        "/api/v1/docs",
    ]
    pages = render_everywhere(apps, urls, language=language)
    assert pages["functional"]["/"][0] == 200
    assert f'<html lang="{language}">' in pages["functional"]["/"][1]
    assert_same_pages(pages)


def test_signed_in_pages_render_the_same_html_in_both_layouts(apps, seeded, language):
    post_id, _ = seeded["published"]
    draft_id = seeded["draft"]
    urls = [
        "/",
        "/dashboard/",
        "/dashboard/posts/new",
        f"/dashboard/posts/{post_id}/edit",
        f"/dashboard/posts/{draft_id}/preview",
        "/dashboard/site",
        "/dashboard/account",
        "/dashboard/account/email",
        "/sites/ada/",
        "/admin/",
    ]
    pages = render_everywhere(apps, urls, email="ada@example.com", language=language)
    assert pages["functional"]["/dashboard/"][0] == 200
    assert pages["functional"]["/admin/"][0] == 403
    assert_same_pages(pages)


def test_admin_pages_render_the_same_html_in_both_layouts(apps, seeded, language):
    urls = [
        "/admin/",
        "/admin/users",
        "/admin/users?q=ada",
        "/admin/posts",
        "/admin/audit",
        "/admin/users?page=99",
    ]
    pages = render_everywhere(apps, urls, email=DEMO_ADMIN, language=language)
    assert pages["functional"]["/admin/users"][0] == 200
    assert_same_pages(pages)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_expired_form_page_renders_the_same_html_in_both_layouts(
    database_url, monkeypatch, scheme, language
):
    # In production, so that over plain HTTP the page adds its hint about HTTPS.
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    pages = {}
    for layout in LAYOUTS:
        app = make_app(
            layout,
            database_url,
            APP_ENV="production",
            PUBLIC_URL="https://blog.example.com",
            CELERY_BROKER_URL=IDLE_BROKER_URL,
        )
        client = app.test_client()
        client.set_cookie("locale", language, domain="blog.example.com")
        response = client.post("/login", base_url=f"{scheme}://blog.example.com")
        pages[layout] = {
            "/login": (response.status_code, normalise(response.get_data(as_text=True)))
        }
        with app.app_context():
            db.engine.dispose()
    assert pages["functional"]["/login"][0] == 400
    assert_same_pages(pages)


def test_both_layouts_serve_the_same_openapi_document_byte_for_byte(apps):
    documents = [app.test_client().get("/api/v1/openapi.json") for app in apps.values()]

    assert [document.status_code for document in documents] == [200, 200]
    assert documents[0].get_json()["paths"]
    assert documents[0].data == documents[1].data


def test_the_token_pages_render_the_same_html_in_both_layouts(apps, seeded, language):
    from shared_models import api_tokens
    from shared_models.models import ApiToken, User
    from shared_web.formatting import isoformat

    with apps["functional"].app_context():
        ada = db.session.execute(db.select(User).where(User.username == "ada")).scalar_one()
        # Revoked by a new password, so the pages offer to make it again.
        api_tokens.create_token(ada, "Old script", "write")
        api_tokens.revoke_every_token(ada)
        laptop, _ = api_tokens.create_token(ada, "Laptop script", "write")
        # A day earlier, so no other token on the pages shares its second.
        laptop.created_at = SESSION_TIME - timedelta(days=1)
        db.session.commit()
    made = {}
    for layout, app in apps.items():
        client = app.test_client()
        client.set_cookie("locale", language)
        client.submit("/login", {"email": "ada@example.com", "password": DEMO_PASSWORD})
        listed = client.get("/dashboard/tokens")
        response = client.submit("/dashboard/tokens", {"name": "Made here", "scope": "read"})
        client.submit("/logout")
        with app.app_context():
            token = db.session.execute(
                db.select(ApiToken).where(
                    ApiToken.name == "Made here", ApiToken.revoked_at.is_(None)
                )
            ).scalar_one()
            # Each layout makes a token of its own, with an id and a secret of its own.
            page = normalise(response.get_data(as_text=True))
            page = page.replace(f"/dashboard/tokens/{token.id}/", "/dashboard/tokens/NEW/")
            # ... made at its own second, which its row's <time datetime> shows.
            page = page.replace(isoformat(token.created_at), "MADE-AT")
            page = re.sub(r"inkpot_[\w-]{43}", "SECRET", page)
            made[layout] = (listed.status_code, normalise(listed.get_data(as_text=True)), page)
            # So the next layout lists the same tokens as this one did.
            api_tokens.revoke_token(token.user, token)

    assert made["functional"][0] == 200
    assert "Laptop script" in made["functional"][1]
    assert "Old script" in made["functional"][1]
    assert "SECRET" in made["functional"][2]
    assert made["functional"] == made["divisional"]


def without_request_id(response) -> bytes:
    return response.data.replace(response.headers["X-Request-ID"].encode(), b"REQUEST-ID")


def test_the_api_answers_the_same_json_in_both_layouts(apps, seeded):
    from shared_models import api_tokens
    from shared_models.models import User

    with apps["functional"].app_context():
        ada = db.session.execute(db.select(User).where(User.username == "ada")).scalar_one()
        _, secret = api_tokens.create_token(ada, "Parity", "read")
    post_id, slug = seeded["published"]
    urls = [
        "/api/v1/sites/ada",
        "/api/v1/sites/ada/posts?limit=2",
        f"/api/v1/sites/ada/posts/{slug}",
        "/api/v1/me",
        "/api/v1/me/posts",
        f"/api/v1/me/posts/{post_id}",
        f"/api/v1/me/posts/{seeded['draft']}",
        "/api/v1/sites/nobody/posts",
        "/api/v1/no-such-thing",
    ]
    answers = {}
    for layout, app in apps.items():
        client = app.test_client()
        answers[layout] = [
            # A problem names its request's id, which is each request's own.
            (response.status_code, response.headers.get("Link"), without_request_id(response))
            for response in (
                client.get(url, headers={"Authorization": f"Bearer {secret}"}) for url in urls
            )
        ]

    assert answers["functional"][0][0] == 200
    assert answers["functional"] == answers["divisional"]


def test_pages_behind_emailed_links_render_the_same_html_in_both_layouts(apps, seeded, language):
    from shared_models import accounts, tokens

    with apps["functional"].app_context():
        ada = accounts.get_user_by_email("ada@example.com")
        reset = tokens.make_token(tokens.RESET_PASSWORD, ada)
        used = tokens.make_token(tokens.CONFIRM_EMAIL, ada)  # ada is confirmed already
        change = tokens.make_token(tokens.CHANGE_EMAIL, ada, new_email="ada.new@example.com")
        newcomer = accounts.sign_up("newcomer", "newcomer@example.com", DEMO_PASSWORD)
        confirm = tokens.make_token(tokens.CONFIRM_EMAIL, newcomer)
    # Opening a confirmation link changes nothing, so both layouts can draw the same one.
    urls = [f"/password/reset/{reset}", f"/confirm/{used}", f"/confirm/{change}"]
    pages = render_everywhere(apps, [*urls, f"/confirm/{confirm}"], language=language)
    assert pages["functional"][f"/password/reset/{reset}"][0] == 200
    assert pages["functional"][f"/confirm/{used}"][0] == 400
    assert pages["functional"][f"/confirm/{change}"][0] == 200
    assert pages["functional"][f"/confirm/{confirm}"][0] == 200
    assert_same_pages(pages)


def test_the_unconfirmed_sign_in_notice_renders_the_same_html_in_both_layouts(apps, language):
    from shared_models import accounts

    with apps["functional"].app_context():
        accounts.sign_up("newcomer", "newcomer@example.com", DEMO_PASSWORD)
    pages = {}
    for layout, app in apps.items():
        client = app.test_client()
        client.set_cookie("locale", language)
        response = client.submit(
            "/login", {"email": "newcomer@example.com", "password": DEMO_PASSWORD}
        )
        pages[layout] = (response.status_code, normalise(response.get_data(as_text=True)))
    assert say(language, "Confirm your email address first") in pages["functional"][1]
    assert pages["divisional"] == pages["functional"]


TOKEN_IN_LINK = re.compile(r"(/confirm/|/password/reset/)(?!resend)[\w.-]+")


def test_every_email_renders_the_same_in_both_layouts(apps, seeded, language):
    from shared_models import accounts
    from shared_models.models import EmailKind, OutboundEmail
    from shared_web import mail

    data = {
        EmailKind.ACCOUNT_EXISTS: {"reason": "signup"},
        EmailKind.NO_ACCOUNT: {"reason": "password_reset"},
        EmailKind.EMAIL_CHANGED: {"new_email": "ada.new@example.com"},
    }
    with apps["functional"].app_context():
        ada = accounts.get_user_by_email("ada@example.com")
        for kind in EmailKind:
            db.session.add(
                OutboundEmail(
                    kind=kind,
                    to_address=ada.email,
                    user=ada,
                    data=data.get(kind, {}),
                    language=language,
                )
            )
        db.session.commit()
    rendered = {}
    for layout, app in apps.items():
        with app.app_context():
            rendered[layout] = {}
            for email in db.session.execute(db.select(OutboundEmail)).scalars():
                message, _ = mail.compose(email)
                parts = [message.get_body((kind,)).get_content() for kind in ("plain", "html")]
                # Each rendering makes its own token, so the tokens differ.
                rendered[layout][email.kind] = [
                    message["Subject"],
                    *(TOKEN_IN_LINK.sub(r"\1TOKEN", part) for part in parts),
                ]
    assert set(rendered["functional"]) == set(EmailKind)
    assert all(
        f'<html lang="{language}">' in html for _, _, html in rendered["functional"].values()
    )
    assert rendered["divisional"] == rendered["functional"]


def test_both_layouts_translate_the_same_messages_the_same_way():
    functional = translations(ROOT / "functional_layout" / "translations")
    divisional = {}
    for directory in sorted((ROOT / "divisional_layout").glob("**/translations")):
        for key, text in translations(directory).items():
            assert divisional.setdefault(key, text) == text, f"{key} differs between areas"

    assert set(functional) == set(divisional)
    assert functional == divisional
