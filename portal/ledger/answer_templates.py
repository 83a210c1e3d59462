"""Answer templates of a station, per category and language, kept by its officers and
head; the answer step of a handled item offers its category's. Split from the
lifecycle's rules, whose checks it shares."""

from __future__ import annotations

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import write_transaction
from portal.ledger.rules import CATEGORIES, NOTE_MAX, LedgerError, _check_length, _clean
from portal.ledger.tables import LedgerAnswerTemplate
from portal.stations.tables import Community
from portal.web.i18n import N_



async def template_stations(actor: Actor) -> list[dict]:
    """The stations whose answer templates the actor keeps: those of the communities they
    reach as officer or head (none for heads above a station, who only read)."""
    scope = actor.communities("officer", "head")
    query = Community.select(Community.station, Community.station.name_zh, Community.station.name_en).distinct()
    if scope is not None:
        query = query.where(Community.id.is_in(list(scope) or [0]))
    rows = await query.order_by(Community.station).limit(200).run()
    return [{"id": r["station"], "name_zh": r["station.name_zh"], "name_en": r["station.name_en"]} for r in rows]


async def templates_for(station_ids: list[int], category: str | None = None) -> list[dict]:
    query = LedgerAnswerTemplate.select(*LedgerAnswerTemplate.all_columns(), LedgerAnswerTemplate.updated_by.real_name).where(LedgerAnswerTemplate.station.is_in(station_ids or [0]))
    if category is not None:
        query = query.where(LedgerAnswerTemplate.category.is_in([category, ""]))
    return await query.order_by(LedgerAnswerTemplate.category).order_by(LedgerAnswerTemplate.title).limit(500).run()


def _checked(category: str, language: str, title: str, body: str) -> dict:
    """A template's text fields, cleaned, or the refusal of the first bad one: the same
    checks for adding and for changing one."""
    title, body = _clean(title), _clean(body)
    if category and category not in {c for cats in CATEGORIES.values() for c in cats}:
        raise LedgerError(N_("Choose a category from the list."), "category")
    if language not in ("zh_CN", "en"):
        raise LedgerError(N_("Choose a language from the list."), "language")
    if not title:
        raise LedgerError(N_("Give the template a title."), "title")
    if not body:
        raise LedgerError(N_("Write the answer."), "body")
    _check_length(title, 100, "title")
    _check_length(body, NOTE_MAX, "body")
    return {"category": category, "language": language, "title": title, "body": body}


async def kept_template(actor: Actor, template_id: int) -> dict | None:
    """The template if the actor keeps it (an officer or head of its station; never a
    head above a station, who only reads), else None."""
    if actor.read_only:
        return None
    row = await LedgerAnswerTemplate.select(*LedgerAnswerTemplate.all_columns()).where(LedgerAnswerTemplate.id == template_id).first().run()
    if not row or row["station"] not in {s["id"] for s in await template_stations(actor)}:
        return None
    return row


async def update_template(actor: Actor, template_id: int, category: str, language: str, title: str, body: str) -> None:
    """Change an answer template in place (its station stays); audited with before and
    after. Refused like adding one; a template the actor does not keep is "no such"."""
    values = _checked(category, language, title, body)
    async with write_transaction():
        before = await kept_template(actor, template_id)
        if before is None:
            raise LedgerError(N_("No such template."))
        await LedgerAnswerTemplate.update(
            {**{getattr(LedgerAnswerTemplate, k): v for k, v in values.items()}, LedgerAnswerTemplate.updated_by: actor.id, LedgerAnswerTemplate.updated_at: now()}
        ).where(LedgerAnswerTemplate.id == template_id).run()
        await record("ledger.template", "ledger_answer_template", template_id, actor=actor, before={k: before[k] for k in values}, after=values)


async def save_template(actor: Actor, station_id: int, category: str, language: str, title: str, body: str, template_id: int | None = None) -> int:
    """Add an answer template of the station, or change one (audited)."""
    if actor.read_only or station_id not in {s["id"] for s in await template_stations(actor)}:
        raise LedgerError(N_("Choose one of your stations."), "station")
    values = {"station": station_id, **_checked(category, language, title, body)}
    async with write_transaction():
        at = now()
        if template_id:
            before = await LedgerAnswerTemplate.select(*LedgerAnswerTemplate.all_columns()).where(LedgerAnswerTemplate.id == template_id).first().run()
            if not before or before["station"] not in {s["id"] for s in await template_stations(actor)}:
                raise LedgerError(N_("No such template."))
            await LedgerAnswerTemplate.update({**{getattr(LedgerAnswerTemplate, k): v for k, v in values.items()}, LedgerAnswerTemplate.updated_by: actor.id, LedgerAnswerTemplate.updated_at: at}).where(LedgerAnswerTemplate.id == template_id).run()
            await record("ledger.template", "ledger_answer_template", template_id, actor=actor, before={k: before[k] for k in values}, after=values)
            return template_id
        rows = await LedgerAnswerTemplate.insert(LedgerAnswerTemplate(**values, updated_by=actor.id, updated_at=at)).returning(LedgerAnswerTemplate.id).run()
        await record("ledger.template", "ledger_answer_template", rows[0]["id"], actor=actor, after=values)
        return rows[0]["id"]


async def remove_template(actor: Actor, template_id: int) -> bool:
    async with write_transaction():
        before = await LedgerAnswerTemplate.select(*LedgerAnswerTemplate.all_columns()).where(LedgerAnswerTemplate.id == template_id).first().run()
        if actor.read_only or not before or before["station"] not in {s["id"] for s in await template_stations(actor)}:
            return False
        await LedgerAnswerTemplate.delete().where(LedgerAnswerTemplate.id == template_id).run()
        await record("ledger.template_removed", "ledger_answer_template", template_id, actor=actor, before={k: before[k] for k in ("station", "category", "language", "title", "body")})
    return True
