"""The ``portal`` command line."""

import subprocess
import sys

from portal.settings import ROOT


def portal(*args, env_extra=None, input=None, database_url=None):
    import os

    env = {**os.environ, "PORTAL_DEFAULT_LANGUAGE": "en", **(env_extra or {})}
    if database_url:
        env["PORTAL_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], cwd=ROOT, env=env, input=input, capture_output=True, text=True, timeout=60)


def test_help_lists_every_command():
    result = portal("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "seed-demo", "users"):
        assert command in result.stdout


async def test_users_create_makes_an_account_that_can_log_in(settings, area, client):
    from tests.conftest import log_in

    from portal.stations.tables import Community

    code = (await Community.select(Community.code).where(Community.id == area.community_id).first().run())["code"]
    result = portal("users", "create", "--username", "cli.officer", "--name", "命令行", "--role", "officer", "--community", code, "--password-stdin", input="a-long-password\n", database_url=settings.database_url)
    assert result.returncode == 0, result.stderr
    await log_in(client, "cli.officer", "a-long-password")
    again = portal("users", "create", "--username", "cli.officer", "--name", "x", "--role", "admin", "--password-stdin", input="a-long-password\n", database_url=settings.database_url)
    assert again.returncode != 0 and "already taken" in again.stderr


def test_users_create_refuses_short_passwords_and_unknown_communities(settings):
    short = portal("users", "create", "--username", "u1", "--name", "n", "--role", "admin", "--password-stdin", input="short\n", database_url=settings.database_url)
    assert short.returncode != 0 and "at least 10" in short.stderr
    unknown = portal("users", "create", "--username", "u2", "--name", "n", "--role", "volunteer", "--community", "nowhere", "--password-stdin", input="a-long-password\n", database_url=settings.database_url)
    assert unknown.returncode != 0 and "No community" in unknown.stderr


def test_demo_accounts_are_never_created_in_production(settings):
    result = portal("seed-demo", env_extra={"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "s" * 40, "PORTAL_PUBLIC_URL": "https://portal.example.org"}, database_url=settings.database_url)
    assert result.returncode != 0 and "never created in production" in result.stderr


def test_production_refuses_to_start_with_the_demo_secret(settings):
    result = portal("migrate", env_extra={"PORTAL_ENV": "production"}, database_url=settings.database_url)
    assert result.returncode != 0 and "PORTAL_SECRET_KEY" in result.stderr
