"""Preflight: a self-hosted pre-flight check for online events."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import log_redaction
from .config import ConfigError, load_settings, parse_overrides

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI."""
    log_redaction.install()
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client address (rate limits, network check) and scheme come from the proxies' headers,
        # trusting exactly as many hops as there are proxies: a client cannot forge its own address.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    configure_extensions(app)
    register_blueprints(app)
    from . import cli, errors, i18n, metrics, privacy, safe_input, security, static_files, structured_logs, templating

    structured_logs.init_app(app)
    metrics.init_app(app)

    safe_input.init_app(app)
    privacy.init_app(app)

    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    static_files.init_app(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then ``PREFLIGHT_*`` variables, then the test overrides."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_settings())
    if test_config:
        app.config.from_mapping(test_config)
    parse_overrides(app.config)
    production = app.config["PREFLIGHT_ENV"] == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigError("PREFLIGHT_SECRET_KEY must be set in production (a long random string).")
        app.config["SECRET_KEY"] = _instance_secret(app)
    elif production and len(app.config["SECRET_KEY"]) < 32:
        raise ConfigError("PREFLIGHT_SECRET_KEY is too short: use at least 32 random characters.")
    app.config.update(
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_ROOT / "translations"),
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        MAX_CONTENT_LENGTH=max(app.config["MAX_UPLOAD_BYTES"], app.config["MAX_RESULT_BYTES"]) + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_HOURS"]),
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session, which expires anyway
        # Over HTTPS Flask-WTF also demands a Referer of this host, but the pages send none
        # (Referrer-Policy: no-referrer keeps link tokens out of other sites' logs): every post
        # would fail behind TLS. The session-bound token and SameSite=Lax cookies stay in force.
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URL"],
        RATELIMIT_HEADERS_ENABLED=True,
    )


def _instance_secret(app: Flask) -> str:
    """A development secret kept in ``instance/`` so sessions and links survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def configure_extensions(app: Flask) -> None:
    """Bind the unbound extensions and the database."""
    from . import db
    from .extensions import babel, compress, csrf, htmx, limiter, login_manager
    from .i18n import select_locale, select_timezone

    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    htmx.init_app(app)
    app.config.setdefault("COMPRESS_REGISTER", False)
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature area."""
    from .accounts import bp as accounts_bp
    from .alerts import bp as alerts_bp
    from .api import bp as api_bp
    from .api.pages import bp as api_tokens_bp
    from .auth import bp as auth_bp
    from .dashboard import bp as dashboard_bp
    from .guides import bp as guides_bp
    from .health import bp as health_bp
    from .help import bp as help_bp
    from .l10n import bp as translations_admin_bp
    from .network import bp as network_bp
    from .participant import bp as participant_bp
    from .playbook import bp as playbook_bp
    from .staff import bp as staff_bp
    from .survey import bp as survey_bp
    from .urlids import reject_huge_ids

    # Every ``*_id`` in every URL: ids beyond the column range are a 404, not a database error.
    app.url_value_preprocessor(reject_huge_ids)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(participant_bp)
    app.register_blueprint(guides_bp)
    app.register_blueprint(translations_admin_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(playbook_bp)
    app.register_blueprint(help_bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(alerts_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
