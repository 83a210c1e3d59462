"""An import's life: upload → preview (nothing written) → confirm → one transaction.

The uploaded file is kept in ``import_batch`` with a random token, so confirming needs no
second upload; a preview expires after ``PREVIEW_HOURS``. Confirming claims the batch
with one conditional UPDATE (a double submit imports once), then checks every row again
inside the write transaction: if anything changed since the preview, nothing is written
and the new preview is shown instead. Any refused row blocks the confirmation, so a file
is imported whole or not at all.

Large files are read and written in a background task of the process that received them;
``PROGRESS`` holds how far it got, which the page and the command line show.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import fetch, is_unique_violation, write_transaction
from portal.imports import readers
from portal.imports.plan import ACTIONS, Plan, kinds_for, make_plan, people
from portal.imports.readers import FileRefused
from portal.imports.tables import ImportBatch
from portal.imports.write import Writer, write
from portal.web.i18n import activate, restore
from portal.web.i18n import gettext as _

log = logging.getLogger("portal.imports")

MAX_BYTES = 10 * 1024 * 1024
PREVIEW_HOURS = 24
# A page waits this long for the preview or the import before it shows the progress instead.
INLINE_SECONDS = 3.0
# A batch still "previewing" or "importing" this long after its last change was interrupted.
STALE_AFTER = dt.timedelta(minutes=10)
PROGRESS: dict[str, dict] = {}
_TASKS: dict[str, asyncio.Task] = {}
BATCH_COLUMNS = ("id", "token", "kind", "actor", "language", "filename", "status", "rows_total", "counts", "error", "created_at", "updated_at", "expires_at", "confirmed_at", "finished_at")


class ImportError_(ValueError):
    """The import cannot go on; the message says why."""


@dataclass(frozen=True)
class Batch:
    row: dict

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError as error:
            raise AttributeError(name) from error

    @property
    def counts_dict(self) -> dict[str, int]:
        return {**dict.fromkeys(ACTIONS, 0), **json.loads(self.row.get("counts") or "{}")}

    @property
    def status_now(self) -> str:
        """The status, with a batch whose worker went away shown as failed."""
        status = self.row["status"]
        if status in ("previewing", "importing") and self.row["token"] not in _TASKS and now() - self.row["updated_at"] > STALE_AFTER:
            return "failed"
        return status

    @property
    def expired(self) -> bool:
        return self.row["expires_at"] <= now()


def _token() -> str:
    return secrets.token_urlsafe(18)


async def start(actor: Actor, kind: str, filename: str, content: bytes, language: str) -> str:
    """Keep the upload and return its token; the preview is made by ``preview``."""
    if kind not in kinds_for(actor):
        raise ImportError_(_("You cannot import this kind of file."))
    if len(content) > MAX_BYTES:
        raise ImportError_(_("The file is larger than %(size)s MB: split it.", size=MAX_BYTES // (1024 * 1024)))
    if not content:
        raise ImportError_(_("The file is empty."))
    moment = now()
    token = _token()
    async with write_transaction():
        await _forget_expired(moment)
        await ImportBatch.insert(ImportBatch(
            token=token, kind=kind, actor=actor.id, language=language, filename=filename[-200:], content=content, status="previewing",
            created_at=moment, updated_at=moment, expires_at=moment + dt.timedelta(hours=PREVIEW_HOURS),
        )).run()
        await record("import.uploaded", "import_batch", token, actor=actor, after={"kind": kind, "filename": filename[-200:], "bytes": len(content)})
    return token


async def _forget_expired(moment: dt.datetime) -> None:
    """Expired batches lose their file and one-time passwords; those never imported go."""
    await fetch("UPDATE import_batch SET content = NULL, credentials = NULL, report = '[]' WHERE expires_at < {} AND status IN ('done', 'failed') AND (content IS NOT NULL OR credentials IS NOT NULL)", moment)
    await fetch("DELETE FROM import_batch WHERE expires_at < {} AND status IN ('previewing', 'previewed', 'refused')", moment)


async def get(actor: Actor, token: str) -> Batch | None:
    """The actor's own batch (nobody else sees it)."""
    rows = await fetch(f"SELECT {', '.join(BATCH_COLUMNS)} FROM import_batch WHERE token = {{}} AND actor = {{}}", token[:64], actor.id)
    return Batch(rows[0]) if rows else None


async def recent(actor: Actor, limit: int = 10) -> list[Batch]:
    rows = await fetch(f"SELECT {', '.join(BATCH_COLUMNS)} FROM import_batch WHERE actor = {{}} ORDER BY id DESC LIMIT {int(limit)}", actor.id)
    return [Batch(r) for r in rows]


async def report(token: str) -> list[dict]:
    rows = await fetch("SELECT report FROM import_batch WHERE token = {}", token)
    return json.loads(rows[0]["report"] or "[]") if rows else []


def _progress(token: str, phase: str) -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        PROGRESS[token] = {"phase": phase, "done": done, "total": total}
    return update


async def _content(token: str) -> bytes:
    rows = await fetch("SELECT content FROM import_batch WHERE token = {}", token)
    content = rows[0]["content"] if rows else None
    if content is None:
        raise ImportError_(_("The file of this import is no longer kept: upload it again."))
    return bytes(content)


async def _plan(actor: Actor, kind: str, token: str, on_progress) -> Plan:
    content = await _content(token)
    PROGRESS[token] = {"phase": "reading", "done": 0, "total": 0}
    sheet = await asyncio.to_thread(readers.read, content)
    return await make_plan(actor, kind, sheet, on_progress)


async def preview(actor: Actor, token: str, on_progress=None) -> Batch | None:
    """Read and check the file; write the report (and nothing else)."""
    batch = await get(actor, token)
    if batch is None or batch.status != "previewing":
        return batch
    progress = on_progress or _progress(token, "checking")
    try:
        plan = await _plan(actor, batch.kind, token, progress)
    except (FileRefused, ImportError_) as error:
        await _set(token, status="refused", error=str(error))
    except Exception:  # noqa: BLE001 - the page says it failed; the log has the cause
        log.exception("import preview %s failed", token)
        await _set(token, status="failed", error=_("The file could not be checked because of an error on our side; nothing was imported."))
    else:
        await _set(token, status="previewed", rows_total=len(plan.rows), counts=json.dumps(plan.counts), report=json.dumps(plan.report(), ensure_ascii=False), error="")
    finally:
        PROGRESS.pop(token, None)
    return await get(actor, token)


async def _set(token: str, **values) -> None:
    values["updated_at"] = now()
    names = list(values)
    await fetch(f"UPDATE import_batch SET {', '.join(f'{n} = {{}}' for n in names)} WHERE token = {{}}", *values.values(), token)


async def claim(actor: Actor, token: str) -> str:
    """Move a previewed batch to "importing" once, however often confirm is sent. Returns
    "claimed", or why not: "missing", "expired", "blocked", "nothing", or the status it is in."""
    batch = await get(actor, token)
    if batch is None:
        return "missing"
    if batch.status != "previewed":
        return batch.status_now
    if batch.expired:
        return "expired"
    if batch.counts_dict["refused"]:
        return "blocked"
    if not (batch.counts_dict["create"] or batch.counts_dict["update"]):
        return "nothing"  # an identical file: confirming it writes nothing, not even an audit row
    moment = now()
    claimed = await fetch(
        "UPDATE import_batch SET status = 'importing', confirmed_at = {}, updated_at = {} WHERE token = {} AND actor = {} AND status = 'previewed' RETURNING id",
        moment, moment, token, actor.id,
    )
    return "claimed" if claimed else (await get(actor, token)).status_now


def _same(plan: Plan, before: list[dict]) -> bool:
    return [(r["row"], r["action"], r["changes"]) for r in plan.report()] == [(r["row"], r["action"], r["changes"]) for r in before]


async def run_import(actor: Actor, token: str, on_progress=None) -> Batch | None:
    """Check again and write everything in one transaction, or nothing."""
    batch = await get(actor, token)
    if batch is None or batch.status != "importing":
        return batch
    progress = on_progress or _progress(token, "writing")
    before = await report(token)
    outcome: dict[str, Any] = {}
    try:
        async with write_transaction():
            plan = await _plan(actor, batch.kind, token, progress)
            if plan.blocked or not _same(plan, before):
                outcome = {"status": "previewed", "rows_total": len(plan.rows), "counts": json.dumps(plan.counts), "report": json.dumps(plan.report(), ensure_ascii=False),
                           "error": _("Something changed since the preview (another import or an edit): check the new preview and confirm again."), "confirmed_at": None}
            else:
                PROGRESS[token] = {"phase": "writing", "done": 0, "total": len(plan.rows)}
                known = await people()
                writer = Writer(actor, token, batch.language, known.usernames)
                await write(writer, plan)
                counts = plan.counts
                await record("import.confirmed", "import_batch", token, actor=actor, after={"kind": batch.kind, **counts})
                moment = now()
                await _set(token, status="done", counts=json.dumps(counts), finished_at=moment, expires_at=moment + dt.timedelta(hours=PREVIEW_HOURS),
                           credentials=json.dumps(writer.credentials, ensure_ascii=False) if writer.credentials else None, error="")
    except (FileRefused, ImportError_) as error:
        outcome = {"status": "failed", "error": str(error)}
    except Exception as error:  # noqa: BLE001 - rolled back: nothing was written
        if is_unique_violation(error):  # another import wrote the same people or places meanwhile (PostgreSQL)
            outcome = {"status": "failed", "error": _("Another import wrote some of the same records at the same moment: nothing was imported. Upload the file again.")}
        else:
            log.exception("import %s failed", token)
            outcome = {"status": "failed", "error": _("The import stopped because of an error on our side; nothing was imported.")}
    finally:
        PROGRESS.pop(token, None)
    if outcome:
        await _set(token, **outcome)
    return await get(actor, token)


async def in_background(token: str, work: Callable[[], Awaitable[Any]], language: str, wait: float = INLINE_SECONDS) -> bool:
    """Run ``work`` as a task of this process; wait up to ``wait`` seconds for it. True when done."""
    if token in _TASKS:
        task = _TASKS[token]
    else:
        async def run():
            saved = activate(language)
            try:
                await work()
            finally:
                restore(saved)
                _TASKS.pop(token, None)

        task = asyncio.get_running_loop().create_task(run())
        _TASKS[token] = task
    done, _pending = await asyncio.wait({task}, timeout=wait)
    return bool(done)


async def wait_for(token: str) -> None:
    """Until this process's task for ``token`` (if any) ends: the command line and tests."""
    task = _TASKS.get(token)
    if task is not None:
        await asyncio.wait({task})


# --- One-time passwords ----------------------------------------------------------------------


async def credentials(actor: Actor, token: str) -> list[dict] | None:
    rows = await fetch("SELECT credentials, expires_at FROM import_batch WHERE token = {} AND actor = {} AND status = 'done'", token[:64], actor.id)
    if not rows or rows[0]["credentials"] is None or rows[0]["expires_at"] <= now():
        return None
    return json.loads(rows[0]["credentials"])


async def erase_credentials(actor: Actor, token: str) -> bool:
    async with write_transaction():
        erased = await fetch("UPDATE import_batch SET credentials = NULL WHERE token = {} AND actor = {} AND credentials IS NOT NULL RETURNING id", token[:64], actor.id)
        if erased:
            await record("import.passwords_erased", "import_batch", token, actor=actor)
    return bool(erased)


async def note_credentials_shown(actor: Actor, token: str, how: str) -> None:
    await record("import.passwords_shown", "import_batch", token, actor=actor, after={"as": how})
