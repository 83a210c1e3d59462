"""The ``portal`` command: serve, migrate, init, seed-demo, users, org, backup, restore, bulletins, scheduler."""

from __future__ import annotations

import asyncio
import getpass
import sys

import click

from portal import db
from portal.accounts.rules import configure_passwords
from portal.settings import Settings, SettingsError, load_settings
from portal.web import i18n


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


def _run(settings: Settings, coroutine_factory):
    """Run a coroutine against the configured database (its pool open for the duration)."""
    db.configure(settings)
    configure_passwords(settings)
    i18n.activate(settings.default_language)  # messages from rules, e.g. "username taken"

    async def main():
        async with db.lifespan_pool(settings):
            return await coroutine_factory()

    return asyncio.run(main())


@click.group(help="Shouwang community safety portal.")
def main() -> None:
    pass


@main.command(help="Serve the portal (PORTAL_HOST, PORTAL_PORT, PORTAL_WORKERS). With PORTAL_SCHEDULER=app the workers "
             "also run the scheduled jobs; with process or off they only serve (web role) and `portal scheduler` runs them.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: PORTAL_WORKERS).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: PORTAL_PORT).")
@click.option("--access-log/--no-access-log", default=None, help="Log every request (default: on in development, off in production, where the proxy logs them).")
@click.option("--reload", is_flag=True, help="Restart when code changes (development).")
def serve(workers: int | None, port: int | None, access_log: bool | None, reload: bool) -> None:
    import uvicorn

    settings = _settings()
    uvicorn.run(
        "portal.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=port or settings.port,
        workers=None if reload else (workers or settings.workers),
        reload=reload,
        proxy_headers=True,
        server_header=False,
        access_log=(not settings.production) if access_log is None else access_log,
        log_level="info",
    )


@main.command(help="Apply every database migration that has not run yet.")
def migrate() -> None:
    _run(_settings(), db.migrate)
    click.echo("Database is up to date.")


@main.command(help="Set up an empty database: apply the migrations and create the first administrator, asked for here "
             "or read from PORTAL_INIT_ADMIN_USERNAME, PORTAL_INIT_ADMIN_NAME and PORTAL_INIT_ADMIN_PASSWORD (for automation). "
             "Creates nothing else, and refuses a database that already has users.")
def init() -> None:
    import os

    from portal.accounts.passwords import password_problem
    from portal.accounts.rules import AccountError, create_user
    from portal.accounts.tables import User

    settings = _settings()
    environ = os.environ
    username = environ.get("PORTAL_INIT_ADMIN_USERNAME") or click.prompt("Administrator's username")
    real_name = environ.get("PORTAL_INIT_ADMIN_NAME") or click.prompt("Administrator's real name")
    password = environ.get("PORTAL_INIT_ADMIN_PASSWORD") or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    i18n.activate(settings.default_language)
    if problem := password_problem(password, username):
        raise click.ClickException(problem)

    async def go():
        await db.migrate()
        if await User.exists().run():
            raise click.ClickException("This database already has users: `portal init` only sets up an empty one (add people with `portal users create`).")
        try:
            return await create_user(None, username=username, password=password, real_name=real_name, role="admin", preferred_language=settings.default_language)
        except AccountError as error:
            raise click.ClickException(error.message) from error

    user_id = _run(settings, go)
    click.echo(f"Database ready; administrator {username.strip().lower()} created (id {user_id}). Next: `portal org add` for the units, then `portal serve`.")


@main.command("seed-demo", help="Load the demo station, communities and accounts (password: shouwang-demo).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo data is already there.")
def seed_demo(if_empty: bool) -> None:
    from portal.demo import DEMO_PASSWORD, is_seeded, seed_demo as seed

    settings = _settings()
    if settings.production:
        raise click.ClickException("Demo accounts have a public password; they are never created in production.")

    async def go():
        if await is_seeded():
            return None
        return await seed()

    created = _run(settings, go)
    if created is None:
        if not if_empty:
            raise click.ClickException("Demo data is already loaded.")
        click.echo("Demo data already loaded.")
        return
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for username, role in created:
        click.echo(f"  {username:<11} {role}")


@main.command(help="Run the scheduled jobs (reminders, rosters, alerts, e-mail) until stopped; for PORTAL_SCHEDULER=process.")
def scheduler() -> None:
    from portal.jobs.runner import JobScheduler

    settings = _settings()
    if settings.scheduler != "process":
        click.echo(f"Note: PORTAL_SCHEDULER={settings.scheduler}; each run is claimed in the database, so jobs still run once.")

    async def forever():
        jobs = JobScheduler(settings)
        jobs.start()
        click.echo(f"Scheduler running {len(jobs.jobs)} jobs. Stop with Ctrl+C.")
        try:
            await asyncio.Event().wait()
        finally:
            await jobs.stop()

    try:
        _run(settings, forever)
    except KeyboardInterrupt:
        pass


@main.group(help="Weekly safety bulletins.")
def bulletins() -> None:
    pass


@bulletins.command("compile", help="Compile the bulletins of a finished ISO week (drafts are compiled again; published ones stay).")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W47.")
@click.option("--community", "community_codes", multiple=True, help="Community code; repeat for several. Default: every community and station.")
def bulletins_compile(week: str, community_codes: tuple[str, ...]) -> None:
    from portal.bulletins.compile import communities
    from portal.bulletins.rules import BulletinError, compile_week, parse_week
    from portal.stations.tables import Community

    async def go():
        try:
            parse_week(week)
        except BulletinError as error:
            raise click.ClickException(error.message) from error
        ids = None
        if community_codes:
            rows = await Community.select(Community.id, Community.code).where(Community.code.is_in(list(community_codes))).run()
            unknown = sorted(set(community_codes) - {r["code"] for r in rows})
            if unknown:
                raise click.ClickException(f"No community with code {', '.join(unknown)}.")
            ids = [r["id"] for r in rows]
        total = len(await communities(ids))
        with click.progressbar(length=total, label=f"Compiling {week}") as bar:
            try:
                return await compile_week(week, ids, refresh_drafts=True, progress=bar.update)
            except BulletinError as error:
                raise click.ClickException(error.message) from error

    result = _run(_settings(), go)
    click.echo(f"{result.week}: {len(result.created)} new, {len(result.refreshed)} drafts compiled again, {result.existing} already published or unchanged.")


@main.group(help="Manage user accounts.")
def users() -> None:
    pass


@users.command("create", help="Create a user with one role. The password is asked for unless --password-stdin.")
@click.option("--username", required=True)
@click.option("--name", "real_name", required=True, help="The person's real name.")
@click.option("--role", required=True, type=click.Choice(["volunteer", "host", "officer", "head", "district_head", "city_head", "admin"]))
@click.option("--community", "community_code", default=None, help="Community code (volunteer, host, officer).")
@click.option("--station", "station_ref", default=None, help="Station code or id (head).")
@click.option("--district", "district_code", default=None, help="District code (district_head).")
@click.option("--city", "city_code", default=None, help="City code (city_head).")
@click.option("--phone", default="")
@click.option("--email", default="")
@click.option("--language", default="zh_CN", type=click.Choice(["zh_CN", "en"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username, real_name, role, community_code, station_ref, district_code, city_code, phone, email, language, password_stdin) -> None:
    from portal.accounts.passwords import password_problem
    from portal.accounts.rules import AccountError, create_user
    from portal.stations.tables import City, Community, District, Station

    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("Password: ")
    i18n.activate(_settings().default_language)
    if problem := password_problem(password, username):
        raise click.ClickException(problem)

    async def unit_id(table, code, what):
        if not code:
            return None
        found = table.id == int(code) if table is Station and code.isdigit() else table.code == code
        row = await table.select(table.id).where(found).first().run()
        if not row:
            raise click.ClickException(f"No {what} with code {code!r}.")
        return row["id"]

    async def go():
        units = {
            "community_id": await unit_id(Community, community_code, "community"),
            "station_id": await unit_id(Station, station_ref, "station"),
            "district_id": await unit_id(District, district_code, "district"),
            "city_id": await unit_id(City, city_code, "city"),
        }
        try:
            return await create_user(
                None, username=username, password=password, real_name=real_name, role=role, phone=phone, email=email,
                preferred_language=language, **units,
            )
        except AccountError as error:
            raise click.ClickException(error.message) from error

    user_id = _run(_settings(), go)
    click.echo(f"Created user {username} (id {user_id}) as {role}.")


@main.group(help="The organisation: city bureaus, district or county bureaus, police stations and communities. "
            "Units are retired, never deleted. Every change is audited (as the system).")
def org() -> None:
    pass


LEVEL = click.Choice(["city", "district", "station", "community"])


def _org_step(step):
    """Run one organisation rule; its refusal becomes the command's error message."""
    from portal.stations.org import OrgError

    async def go():
        try:
            return await step()
        except OrgError as error:
            raise click.ClickException(f"{error.field}: {error.message}") from error

    return _run(_settings(), go)


@org.command("list", help="Every unit, indented under the one it belongs to.")
@click.option("--retired", is_flag=True, help="Also the retired units.")
def org_list(retired: bool) -> None:
    from portal.stations.org import tree

    for unit in _org_step(lambda: tree(include_retired=retired)):
        extra = f"  {unit['timezone']}" if unit["level"] == "community" else ""
        gone = "  (retired)" if unit["retired_at"] else ""
        click.echo(f"{'  ' * unit['depth']}{unit['level']:<9} {unit['code']:<20} {unit['name_zh']} / {unit['name_en']}{extra}{gone}")


@org.command("add", help="Create a unit: a city, or a district, station or community under --parent (its code).")
@click.argument("level", type=LEVEL)
@click.argument("code")
@click.option("--zh", "name_zh", required=True, help="The name in Chinese.")
@click.option("--en", "name_en", default="", help="The name in English.")
@click.option("--parent", default=None, help="The code of the unit it belongs to (not for a city).")
@click.option("--timezone", default=None, help="Community: its time zone (default Asia/Shanghai).")
@click.option("--centre", default=None, help="Community: the centre of its area as LATITUDE,LONGITUDE.")
def org_add(level, code, name_zh, name_en, parent, timezone, centre) -> None:
    from portal.stations.org import UnitData, create

    latitude = longitude = None
    if centre:
        try:
            latitude, longitude = (float(part) for part in centre.split(","))
        except ValueError:
            raise click.ClickException("centre: write it as LATITUDE,LONGITUDE, e.g. 36.62,101.78") from None
    data = UnitData(level=level, code=code, name_zh=name_zh, name_en=name_en, parent_code=parent, timezone=timezone, latitude=latitude, longitude=longitude)
    unit_id = _org_step(lambda: create(None, data))
    click.echo(f"Created {level} {code.strip().lower()} (id {unit_id}).")


@org.command("rename", help="Change a unit's names (the code stays).")
@click.argument("level", type=LEVEL)
@click.argument("code")
@click.option("--zh", "name_zh", default=None, help="The new name in Chinese.")
@click.option("--en", "name_en", default=None, help="The new name in English.")
def org_rename(level, code, name_zh, name_en) -> None:
    from portal.stations.org import rename

    _org_step(lambda: rename(None, level, code, name_zh, name_en))
    click.echo(f"Renamed {level} {code}.")


@org.command("move", help="Put a district under another city, a station under another district, or a community under another station.")
@click.argument("level", type=click.Choice(["district", "station", "community"]))
@click.argument("code")
@click.option("--to", "parent", required=True, help="The code of the new parent unit.")
def org_move(level, code, parent) -> None:
    from portal.stations.org import move

    _org_step(lambda: move(None, level, code, parent))
    click.echo(f"Moved {level} {code} under {parent}.")


@org.command("retire", help="Retire a unit: it keeps its history and is offered for nothing new. Units still active under it must be retired or moved first.")
@click.argument("level", type=LEVEL)
@click.argument("code")
def org_retire(level, code) -> None:
    from portal.stations.org import retire

    _org_step(lambda: retire(None, level, code))
    click.echo(f"Retired {level} {code}.")


@main.command(help="Copy the database and the uploaded photos while the portal runs. SQLite: SQLite's online backup "
             "API writes PATH, one consistent snapshot. PostgreSQL: runs pg_dump --format=custom to PATH when pg_dump is "
             "installed (otherwise prints the commands to run). The upload folder goes to PATH.uploads.tar beside it.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--force", is_flag=True, help="Overwrite PATH (and its .uploads.tar) when they exist.")
@click.option("--no-uploads", is_flag=True, help="Leave the upload folder out (copy it some other way).")
def backup(path: str, force: bool, no_uploads: bool) -> None:
    from pathlib import Path

    from portal.backup import BackupError, backup as run_backup

    try:
        outcome = run_backup(_settings(), Path(path), force=force, uploads=not no_uploads)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database ({outcome.migrations} migrations) written to {outcome.database}.")
    click.echo(f"Uploaded files written to {outcome.uploads}." if outcome.uploads else "No uploaded files copied.")


@main.command(help="Replace the configured database (and upload folder) with a backup made by `portal backup`. Stop the "
             "portal first. Refuses a file that is not a portal database or comes from a newer portal, and refuses to "
             "overwrite a database that holds a portal without --force. PostgreSQL needs pg_restore. Run `portal migrate` after.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--force", is_flag=True, help="Replace a database that already holds a portal.")
def restore(path: str, force: bool) -> None:
    from pathlib import Path

    from portal.backup import BackupError, restore as run_restore

    try:
        outcome = run_restore(_settings(), Path(path), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database restored ({outcome.migrations} migrations); run `portal migrate` to bring it up to date.")
    if outcome.uploads:
        click.echo(f"Uploaded files restored from {outcome.uploads}.")


from portal.imports.cli import import_command  # noqa: E402 - the command lives with its feature

main.add_command(import_command)


if __name__ == "__main__":
    main()
