"""Inkpot in Flask's functional layout: views/, forms/ and templates/ each split by area."""

from flask import Flask

import shared_models
import shared_web
from shared_web.config import INSTANCE_PATH, load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the site; `config` overrides settings read from the environment."""
    app = Flask(__name__, instance_path=str(INSTANCE_PATH))
    # One catalogue for the whole site (translations/), as one templates/ holds every
    # area's pages; shared_web merges the catalogue of the domain's messages under it.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    load_config(app, config)

    shared_web.init_app(app)
    shared_models.init_app(app)

    from functional_layout.views import admin, api, control_panel, home, sites

    app.register_blueprint(home.bp)
    app.register_blueprint(sites.bp)
    app.register_blueprint(control_panel.bp)
    app.register_blueprint(admin.bp)
    shared_web.register_api(app, api.bp)
    shared_web.throttle_views(app)
    return app
