"""Yttrande: joint consultation responses drafted, approved and co-signed by municipalities."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI and error pages."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from .config import load_config

    load_config(app, test_config)

    from . import auth, cli, database, errors, freshness, i18n, jobs, security, templating, worker
    from .extensions import cache, csrf, db, login_manager, migrate

    db.init_app(app)
    database.init_app(app)
    freshness.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    cache.init_app(app)
    security.init_app(app)
    login_manager.init_app(app)
    auth.configure_login(login_manager)
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)
    worker.init_app(app)  # what the job queue runs but must not import

    from .views import (
        admin,
        api,
        api_docs,
        drafting,
        export,
        home,
        planning,
        reports,
        responses,
        review,
        tokens,
    )
    from .views import auth as auth_views

    for blueprint in (
        auth_views.bp,
        responses.bp,
        drafting.bp,
        review.bp,
        home.bp,
        reports.bp,
        export.bp,
        planning.bp,
        admin.bp,
        api.bp,
        api_docs.bp,
        tokens.bp,
    ):
        app.register_blueprint(blueprint)
    return app
