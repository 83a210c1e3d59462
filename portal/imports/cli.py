"""``portal import <kind> <file>``: the same preview and import as the page, from a shell."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click

from portal.imports.tables import KINDS


def _echo_progress(phase: str):
    def show(done: int, total: int) -> None:
        click.echo(f"\r{phase}: {done:,}/{total:,} rows", nl=done == total, err=True)
    return show


@click.command("import", help="Import people or places from an .xlsx or .csv file: prints what each row would do and writes "
               "nothing unless --confirm (then all rows in one transaction, or none). New accounts' one-time passwords go to "
               "--passwords FILE (a CSV readable by you only), or are printed.")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", default=None, help="Import as this user (an officer, a station head or an administrator); default: the first active administrator.")
@click.option("--confirm", is_flag=True, help="Write the rows (only when no row is refused).")
@click.option("--language", default=None, type=click.Choice(["zh_CN", "en"]), help="Language of the report and of new accounts (default: PORTAL_DEFAULT_LANGUAGE).")
@click.option("--passwords", "passwords_path", default=None, type=click.Path(dir_okay=False, path_type=Path), help="Write new accounts' one-time passwords to this CSV file instead of printing them.")
@click.option("--all-rows", is_flag=True, help="List unchanged rows too.")
def import_command(kind: str, path: Path, username: str | None, confirm: bool, language: str | None, passwords_path: Path | None, all_rows: bool) -> None:
    from portal.cli import _run, _settings
    from portal.web import i18n

    settings = _settings()
    language = language or settings.default_language
    content = path.read_bytes()

    async def go():
        from portal.accounts.rules import load_actor
        from portal.db import fetch
        from portal.imports import rules

        i18n.activate(language)
        if username:
            found = await fetch("SELECT id FROM portal_user WHERE username = {} AND active = {}", username.strip().lower(), True)
        else:
            found = await fetch("SELECT u.id FROM portal_user u JOIN role_grant g ON g.\"user\" = u.id WHERE g.role = 'admin' AND u.active = {} ORDER BY u.id LIMIT 1", True)
        actor = await load_actor(found[0]["id"]) if found else None
        if actor is None:
            raise click.ClickException(f"No active user {username}." if username else "No active administrator: name the importing user with --as.")
        try:
            token = await rules.start(actor, kind, path.name, content, language)
        except rules.ImportError_ as error:
            raise click.ClickException(str(error)) from error
        batch = await rules.preview(actor, token, on_progress=_echo_progress("checking"))
        if batch.status != "previewed":
            raise click.ClickException(batch.error)
        for row in await rules.report(token):
            if row["action"] == "unchanged" and not all_rows:
                continue
            changes = "; ".join(f"{name}: {before or '-'} -> {after or '-'}" for name, (before, after) in row["changes"].items())
            click.echo(f"row {row['row']}\t{row['key']}\t{row['action']}\t{row['message'] or changes}")
        counts = batch.counts_dict
        click.echo(f"create {counts['create']}, update {counts['update']}, unchanged {counts['unchanged']}, refused {counts['refused']}")
        if counts["refused"]:
            raise click.ClickException("Rows are refused: nothing was imported. Correct the file and run again.")
        if not confirm:
            click.echo("Nothing written (preview only): add --confirm to import.")
            return None
        if not (counts["create"] or counts["update"]):
            click.echo("Nothing to import: every row is already as the file says.")
            return None
        if await rules.claim(actor, token) != "claimed":
            raise click.ClickException("This import could not be confirmed.")
        batch = await rules.run_import(actor, token, on_progress=_echo_progress("writing"))
        if batch.status != "done":
            raise click.ClickException(batch.error or "The import failed; nothing was written.")
        counts = batch.counts_dict
        click.echo(f"Imported: created {counts['create']}, updated {counts['update']}, unchanged {counts['unchanged']}.")
        return await rules.credentials(actor, token)

    entries = _run(settings, go)
    if not entries:
        return
    if passwords_path:
        from portal.web.xlsx import safe_text

        descriptor = os.open(passwords_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(["name", "username", "one_time_password", "role"])
            # The names come from the imported sheet: neutralised like every export.
            writer.writerows([[safe_text(e["name"]), e["username"], e["password"], e["role"]] for e in entries])
        click.echo(f"One-time passwords of {len(entries)} new accounts written to {passwords_path}.")
    else:
        click.echo("One-time passwords (shown once; each is changed at the first login):")
        writer = csv.writer(sys.stdout, delimiter="\t")
        for e in entries:
            writer.writerow([e["name"], e["username"], e["password"], e["role"]])
