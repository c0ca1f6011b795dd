"""The URL map: exactly these routes and methods, in five blueprints, in each layout."""

# Every URL of the site: (area, rule in Werkzeug's syntax, methods besides HEAD and OPTIONS).
ROUTES = {
    ("home", "/", frozenset({"GET"})),
    ("home", "/signup", frozenset({"GET", "POST"})),
    ("home", "/confirm/<token>", frozenset({"GET", "POST"})),
    ("home", "/confirm/resend", frozenset({"GET", "POST"})),
    ("home", "/login", frozenset({"GET", "POST"})),
    ("home", "/logout", frozenset({"POST"})),
    ("home", "/locale", frozenset({"POST"})),
    ("home", "/password/forgot", frozenset({"GET", "POST"})),
    ("home", "/password/reset/<token>", frozenset({"GET", "POST"})),
    ("home", "/healthz", frozenset({"GET"})),
    ("sites", "/sites/<site_slug>/", frozenset({"GET"})),
    ("sites", "/sites/<site_slug>/<post_slug>", frozenset({"GET"})),
    ("sites", "/sites/<site_slug>/feed.xml", frozenset({"GET"})),
    ("control_panel", "/dashboard/", frozenset({"GET"})),
    ("control_panel", "/dashboard/posts/new", frozenset({"GET", "POST"})),
    ("control_panel", "/dashboard/posts/<int:post_id>/edit", frozenset({"GET", "POST"})),
    ("control_panel", "/dashboard/posts/<int:post_id>/preview", frozenset({"GET"})),
    ("control_panel", "/dashboard/posts/<int:post_id>/delete", frozenset({"POST"})),
    ("control_panel", "/dashboard/site", frozenset({"GET", "POST"})),
    ("control_panel", "/dashboard/account", frozenset({"GET", "POST"})),
    ("control_panel", "/dashboard/tokens", frozenset({"GET", "POST"})),
    ("control_panel", "/dashboard/tokens/<int:token_id>/revoke", frozenset({"POST"})),
    ("control_panel", "/dashboard/account/email", frozenset({"GET", "POST"})),
    ("admin", "/admin/", frozenset({"GET"})),
    ("admin", "/admin/users", frozenset({"GET"})),
    ("admin", "/admin/users/<int:user_id>/suspend", frozenset({"POST"})),
    ("admin", "/admin/users/<int:user_id>/reactivate", frozenset({"POST"})),
    ("admin", "/admin/posts", frozenset({"GET"})),
    ("admin", "/admin/posts/<int:post_id>/delete", frozenset({"POST"})),
    ("admin", "/admin/audit", frozenset({"GET"})),
    ("api", "/api/v1/openapi.json", frozenset({"GET"})),
    ("api", "/api/v1/docs", frozenset({"GET"})),
    ("api", "/api/v1/sites/<site_slug>", frozenset({"GET"})),
    ("api", "/api/v1/sites/<site_slug>/posts", frozenset({"GET"})),
    ("api", "/api/v1/sites/<site_slug>/posts/<post_slug>", frozenset({"GET"})),
    ("api", "/api/v1/me", frozenset({"GET"})),
    # One view per method where a URL takes several: each has its own docstring, which
    # is also its summary in the OpenAPI document.
    ("api", "/api/v1/me/posts", frozenset({"GET"})),
    ("api", "/api/v1/me/posts", frozenset({"POST"})),
    ("api", "/api/v1/me/posts/<int:post_id>", frozenset({"GET"})),
    ("api", "/api/v1/me/posts/<int:post_id>", frozenset({"PATCH"})),
    ("api", "/api/v1/me/posts/<int:post_id>", frozenset({"DELETE"})),
    # App-wide, on no blueprint.
    ("robots_txt", "/robots.txt", frozenset({"GET"})),
    ("metrics", "/metrics", frozenset({"GET"})),
}


def test_the_routes_are_exactly_these(app):
    routes = {
        (rule.endpoint.partition(".")[0], rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static")
    }

    assert routes == ROUTES


def test_the_areas_are_exactly_five_blueprints(app):
    assert set(app.blueprints) == {"home", "sites", "control_panel", "admin", "api"}


def test_error_pages_belong_to_the_app_not_to_an_area(app):
    assert any(app.error_handler_spec[None].values())
    for area in app.blueprints:
        assert not app.error_handler_spec.get(area), area
