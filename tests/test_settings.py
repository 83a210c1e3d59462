"""Settings come from PORTAL_* variables; production refuses unsafe defaults."""

import pytest

from portal.settings import DEMO_SECRET, Settings, SettingsError, load_settings


def test_defaults_serve_the_demo_on_sqlite_under_var():
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/portal.sqlite3")
    assert settings.port == 8000 and settings.default_language == "zh_CN" and not settings.production


def test_environment_variables_are_parsed_by_type():
    settings = load_settings({"PORTAL_PORT": "9001", "PORTAL_HTTPS": "yes", "PORTAL_WORKERS": "4", "PORTAL_DATABASE_URL": "postgresql://u:p@db:5432/portal"})
    assert (settings.port, settings.https, settings.workers) == (9001, True, 4)
    assert settings.sqlite_path is None


@pytest.mark.parametrize("environ", [{"PORTAL_PORT": "eighty"}, {"PORTAL_HTTPS": "maybe"}, {"PORTAL_DATABASE_URL": "mysql://x"}, {"PORTAL_DEFAULT_LANGUAGE": "fr"}, {"PORTAL_ENV": "staging"}])
def test_malformed_values_are_refused_with_the_variable_named(environ):
    with pytest.raises(SettingsError):
        load_settings(environ)


def test_production_refuses_the_demo_secret_and_short_secrets():
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY"):
        load_settings({"PORTAL_ENV": "production"})
    with pytest.raises(SettingsError):
        load_settings({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "short"})
    ok = load_settings({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "x" * 40, "PORTAL_PUBLIC_URL": "https://portal.example.org"})
    assert ok.production and ok.secret_key != DEMO_SECRET


def test_production_needs_the_public_address_and_development_follows_the_served_one():
    """Printed QR codes must open the right server: production refuses to start without
    PORTAL_PUBLIC_URL; in development the links follow the address a page was served at."""
    with pytest.raises(SettingsError, match="PORTAL_PUBLIC_URL"):
        load_settings({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "x" * 40})
    with pytest.raises(SettingsError, match="PORTAL_PUBLIC_URL"):
        load_settings({"PORTAL_PUBLIC_URL": "portal.example.org"})
    production = load_settings({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "x" * 40, "PORTAL_PUBLIC_URL": "https://portal.example.org/"})
    assert production.public_base("http://10.0.0.5:8000/") == "https://portal.example.org"
    development = load_settings({"PORTAL_HOST": "0.0.0.0", "PORTAL_PORT": "8123"})
    assert development.public_base("http://192.168.1.20:8123/") == "http://192.168.1.20:8123"
    assert development.public_base() == "http://127.0.0.1:8123"  # e-mails sent by the scheduler


def test_htmx_comes_from_the_cdn_unless_self_hosted():
    assert load_settings({}).htmx_url.startswith("https://cdn.jsdelivr.net/npm/htmx.org@2.0.")
    assert load_settings({"PORTAL_HTMX_SELF_HOSTED": "1"}).htmx_url == "/static/vendor/htmx.min.js"


def test_every_setting_is_documented_in_the_readme():
    from portal.settings import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, _ in Settings.help_table() if name not in readme]
    assert not missing
