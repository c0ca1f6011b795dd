"""Inkpot in Flask's divisional layout: one package per area, each with views, templates, static."""

from flask import Flask

import shared_models
import shared_web
from shared_web.config import INSTANCE_PATH, load_config

# The areas with pages; the API's words stay English, so it has no catalogue.
TRANSLATED_AREAS = ["home", "sites", "control_panel", "admin"]


def create_app(config: dict | None = None) -> Flask:
    """Build the site; `config` overrides settings read from the environment."""
    app = Flask(__name__, instance_path=str(INSTANCE_PATH))
    # Each area with pages keeps its own catalogue beside its views and templates
    # (home/translations/, …); the app's own translations/ holds the words of the base
    # template, the macros and the error pages. Flask-Babel merges them, and
    # shared_web puts the catalogue of the domain's messages under them all.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        ["translations", *(f"{area}/translations" for area in TRANSLATED_AREAS)]
    )
    load_config(app, config)

    shared_web.init_app(app)
    shared_models.init_app(app)

    from divisional_layout import admin, api, control_panel, home, sites

    app.register_blueprint(home.bp)
    app.register_blueprint(sites.bp)
    app.register_blueprint(control_panel.bp)
    app.register_blueprint(admin.bp)
    shared_web.register_api(app, api.bp)
    shared_web.throttle_views(app)
    return app
