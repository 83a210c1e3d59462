"""Writing a checked plan: bulk inserts (a statement per table, executed for many rows at
once), one audit row per record, inside the caller's one transaction.

New accounts get a one-time password that is shown once to the importing user and must
be changed at the first login. It is 64 random bits, so it needs no slow hash against
guessing: it is stored as an Argon2id hash at the smallest cost (~30 µs, where the
production cost would take 20,000 × ~70 ms); the first login re-hashes at the full cost
and the password change that follows replaces it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Any

from argon2 import PasswordHasher
from piccolo.engine.postgres import PostgresEngine

from portal.accounts.rules import Actor, now
from portal.audit.rules import _jsonable
from portal.db import _prepared, engine, fetch
from portal.imports import columns as C
from portal.imports.plan import CHUNK, Plan, RowPlan, _in_list, username_for
from portal.watchpoints import hours as H
from portal.watchpoints.rules import new_slug

ONE_TIME_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def one_time_password() -> str:
    return "-".join(secrets.token_hex(2) for _ in range(4))


async def execute_many(sql: str, rows: list[tuple]) -> None:
    """One statement (``{}`` placeholders) for many rows, in the current transaction."""
    if not rows:
        return
    db = engine()
    postgres = isinstance(db, PostgresEngine)
    connection = db.current_transaction.get().connection
    statement = _prepared(sql, postgres)
    for start in range(0, len(rows), 5000):
        await connection.executemany(statement, rows[start:start + 5000])


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in columns)}) VALUES ({', '.join('{}' for _ in columns)})"


class Writer:
    """Collects the rows of one import and writes them table by table."""

    def __init__(self, actor: Actor, batch_token: str, language: str, usernames: set[str]):
        self.actor = actor
        self.token = batch_token
        self.language = language
        self.usernames = usernames
        self.moment = now()
        self.audit: list[tuple] = []
        self.credentials: list[dict] = []

    def audit_row(self, action: str, object_type: str, object_id: Any, before: dict | None, after: dict | None) -> None:
        self.audit.append((
            self.moment, self.actor.id, self.actor.username, action, object_type, str(object_id),
            None if before is None else json.dumps(_jsonable(before), ensure_ascii=False),
            None if after is None else json.dumps(_jsonable({**after, "import": self.token}), ensure_ascii=False), "",
        ))

    async def flush_audit(self) -> None:
        await execute_many(_insert("audit_entry", ("at", "actor", "actor_label", "action", "object_type", "object_id", "before", "after", "ip")), self.audit)
        self.audit = []

    async def create_users(self, people: list[dict]) -> dict[str, int]:
        """``people``: dicts of name, phone, email; returns phone -> new user id."""
        if not people:
            return {}
        passwords = [one_time_password() for _ in people]
        hashes = await asyncio.to_thread(lambda: [ONE_TIME_HASHER.hash(p) for p in passwords])
        rows = []
        for person, password, hashed in zip(people, passwords, hashes):
            person["username"] = username_for(person["phone"], self.usernames)
            rows.append((person["username"], hashed, person["name"], person["phone"], person.get("email", ""), self.language, True, True, self.moment))
            self.credentials.append({"name": person["name"], "username": person["username"], "password": password, "role": person["role"]})
        await execute_many(_insert("portal_user", ("username", "password_hash", "real_name", "phone", "email", "preferred_language", "active", "must_change_password", "created_at")), rows)
        ids: dict[str, int] = {}
        names = [p["username"] for p in people]
        for start in range(0, len(names), CHUNK):
            marks, args = _in_list(names[start:start + CHUNK])
            for row in await fetch(f"SELECT id, username FROM portal_user WHERE username IN ({marks})", *args):
                ids[row["username"]] = row["id"]
        by_phone = {}
        for person in people:
            person["id"] = ids[person["username"]]
            by_phone[person["phone"]] = person["id"]
            self.audit_row("user.created", "user", person["id"], None, {"username": person["username"], "real_name": person["name"], "role": person["role"], "one_time_password": True})
        return by_phone

    async def grant(self, grants: list[dict]) -> None:
        """Role grants; the district and city columns are named only when a grant uses them."""
        plain = [g for g in grants if not g.get("district") and not g.get("city")]
        upper = [g for g in grants if g.get("district") or g.get("city")]
        await execute_many(_insert("role_grant", ("user", "role", "station", "community", "created_at")),
                           [(g["user"], g["role"], g.get("station"), g.get("community"), self.moment) for g in plain])
        await execute_many(_insert("role_grant", ("user", "role", "station", "community", "district", "city", "created_at")),
                           [(g["user"], g["role"], None, None, g.get("district"), g.get("city"), self.moment) for g in upper])
        for g in grants:
            self.audit_row("role.granted", "user", g["user"], None, {k: g.get(k) for k in ("role", "station", "community", "district", "city") if g.get(k) is not None or k in ("station", "community")})


def _changed(plan: RowPlan) -> tuple[dict, dict]:
    return {k: v[0] for k, v in plan.changes.items()}, {k: v[1] for k, v in plan.changes.items()}


async def _update(table: str, row_id: int, values: dict) -> None:
    if values:
        names = list(values)
        await fetch(f"UPDATE {table} SET {', '.join(chr(34) + n + chr(34) + ' = {}' for n in names)} WHERE id = {{}}", *values.values(), row_id)


# --- Per kind ----------------------------------------------------------------------------------


async def write_officers(writer: Writer, plan: Plan) -> None:
    new = [p for p in plan.rows if p.action == "create"]
    people = [{"name": p.data["name"], "phone": p.data["phone"], "email": p.data["email"], "role": p.data["role"]} for p in new]
    ids = await writer.create_users(people)
    grants = [{**p.data["grant"], "user": ids[p.data["phone"]]} for p in new]
    for p in plan.rows:
        if p.action != "update":
            continue
        user_id = p.existing["id"]
        values = {}
        if "name" in p.changes:
            values["real_name"] = p.data["name"]
        if "email" in p.changes:
            values["email"] = p.data["email"]
        await _update("portal_user", user_id, values)
        if p.data.get("add_grant"):
            grants.append({**p.data["grant"], "user": user_id})
        before, after = _changed(p)
        writer.audit_row("user.updated", "user", user_id, before, after)
    await writer.grant(grants)


async def write_volunteers(writer: Writer, plan: Plan) -> None:
    new = [p for p in plan.rows if p.action == "create"]
    people = [{"name": p.data["name"], "phone": p.data["phone"], "email": p.data["email"], "role": "volunteer"} for p in new]
    ids = await writer.create_users(people)
    await writer.grant([{"user": ids[p.data["phone"]], "role": "volunteer", "station": p.data["station_id"], "community": p.data["community_id"]} for p in new])
    moment, actor_id = writer.moment, writer.actor.id
    profiles = []
    skills = []
    for p in new:
        user_id = ids[p.data["phone"]]
        verified = bool(p.data["verified"])
        profiles.append((user_id, p.data["community_id"], "verified" if verified else "pending", "", None, False, moment, moment if verified else None, actor_id if verified else None, ""))
        skills += [(user_id, skill, expires) for skill, expires in (p.data["skills"] or {}).items()]
    await execute_many(_insert("volunteer_profile", ("user", "community", "status", "availability", "consent_at", "may_be_named", "applied_at", "decided_at", "decided_by", "decision_reason")), profiles)
    await execute_many(_insert("volunteer_skill", ("user", "skill", "expires_on")), skills)
    for p in new:
        writer.audit_row("volunteer.imported", "user", ids[p.data["phone"]], None, {
            "community": p.data["community_id"], "status": "verified" if p.data["verified"] else "pending", "skills": C.skills_text(p.data["skills"] or {})})
    for p in plan.rows:
        if p.action != "update":
            continue
        user_id, existing = p.existing["id"], p.existing
        await _update("portal_user", user_id, {k: v for k, v in (("real_name", p.data["name"]), ("email", p.data["email"])) if {"real_name": "name"}.get(k, k) in p.changes})
        profile: dict[str, Any] = {}
        if "community" in p.changes:
            profile["community"] = p.data["community_id"]
            if existing["grant"]:
                await _update("role_grant", existing["grant"], {"community": p.data["community_id"], "station": p.data["station_id"]})
        if "verified" in p.changes:
            profile.update({"status": "verified", "decided_at": moment, "decided_by": actor_id})
        await _update("volunteer_profile", existing["profile"], profile)
        if "skills" in p.changes:
            await fetch('DELETE FROM volunteer_skill WHERE "user" = {}', user_id)
            await execute_many(_insert("volunteer_skill", ("user", "skill", "expires_on")), [(user_id, s, e) for s, e in p.data["skills"].items()])
        before, after = _changed(p)
        writer.audit_row("volunteer.updated", "user", user_id, before, after)


POINT_COLUMNS = ("community", "host", "slug", "name_zh", "name_en", "kind", "address", "latitude", "longitude", "hours", "holidays", "capabilities",
                 "phone", "status", "verified_at", "has_photo", "photo_key", "photo_thumb_key", "idempotency_key", "created_at", "updated_at", "import_code")


async def _hosts(writer: Writer, plan: Plan) -> None:
    """Accounts for hosts not known yet (one per phone), and the host role where missing."""
    wanted = [p for p in plan.rows if p.action in ("create", "update")]
    new_people: dict[str, dict] = {}
    for p in wanted:
        if "host_id" not in p.data and p.data["host_phone"] not in new_people:
            new_people[p.data["host_phone"]] = {"name": p.data["host_name"], "phone": p.data["host_phone"], "email": "", "role": "host", "community": p.data["community_id"], "station": p.data["station_id"]}
    ids = await writer.create_users(list(new_people.values()))
    grants: dict[tuple[int, int], dict] = {}
    for p in wanted:
        if "host_id" not in p.data:
            p.data["host_id"] = ids[p.data["host_phone"]]
            p.data["host_grant"] = False
        if not p.data["host_grant"]:
            grants.setdefault((p.data["host_id"], p.data["community_id"]), {"user": p.data["host_id"], "role": "host", "station": p.data["station_id"], "community": p.data["community_id"]})
    await writer.grant(list(grants.values()))


async def write_watchpoints(writer: Writer, plan: Plan) -> None:
    await _hosts(writer, plan)
    moment = writer.moment
    rows = []
    new = [p for p in plan.rows if p.action == "create"]
    for p in new:
        d = p.data
        verified = bool(d["verified"])
        week = d["week"] or tuple(H.Day() for _ in range(7))
        rows.append((d["community_id"], d["host_id"], new_slug(), d["name_zh"], d["name_en"], d["kind"], d["address"], d["latitude"], d["longitude"], H.week_to_text(week), "[]", "",
                     d["phone"], "verified" if verified else "pending", moment if verified else None, False, "", "", str(uuid.uuid4()), moment, moment, d["code"]))
    await execute_many(_insert("watch_point", POINT_COLUMNS), rows)
    ids = {}
    codes = [p.data["code"] for p in new]
    for start in range(0, len(codes), CHUNK):
        marks, args = _in_list(codes[start:start + CHUNK])
        for row in await fetch(f"SELECT id, import_code FROM watch_point WHERE import_code IN ({marks})", *args):
            ids[row["import_code"]] = row["id"]
    for p, row in zip(new, rows):
        writer.audit_row("watchpoint.imported", "watchpoint", ids[p.data["code"]], None, dict(zip(POINT_COLUMNS, row)) | {"slug": None, "idempotency_key": None})
    for p in plan.rows:
        if p.action != "update":
            continue
        d = p.data
        values: dict[str, Any] = {}
        if "community" in p.changes:
            values["community"] = d["community_id"]
        for key in ("name_zh", "name_en", "kind", "address", "phone", "latitude", "longitude"):
            if key in p.changes:
                values[key] = d[key]
        if "hours" in p.changes:
            values["hours"] = H.week_to_text(d["week"])
        if "host" in p.changes:
            values["host"] = d["host_id"]
        if "status" in p.changes:
            values.update({"status": "verified", "verified_at": moment})
        values["updated_at"] = moment
        await _update("watch_point", p.existing["id"], values)
        before, after = _changed(p)
        writer.audit_row("watchpoint.updated", "watchpoint", p.existing["id"], before, after)


async def write_landmarks(writer: Writer, plan: Plan) -> None:
    new = [p for p in plan.rows if p.action == "create"]
    rows = [(p.data["community_id"], p.data["name_zh"], p.data["name_en"], p.data["active"] is not False, writer.moment, p.data["code"]) for p in new]
    await execute_many(_insert("landmark", ("community", "name_zh", "name_en", "active", "created_at", "import_code")), rows)
    codes = [p.data["code"] for p in new]
    for start in range(0, len(codes), CHUNK):
        marks, args = _in_list(codes[start:start + CHUNK])
        for row in await fetch(f"SELECT id, import_code, community, name_zh, name_en, active FROM landmark WHERE import_code IN ({marks})", *args):
            writer.audit_row("landmark.imported", "landmark", row["id"], None, {k: row[k] for k in ("import_code", "community", "name_zh", "name_en", "active")})
    for p in plan.rows:
        if p.action != "update":
            continue
        values: dict[str, Any] = {}
        for key, column in (("code", "import_code"), ("community", "community"), ("name_zh", "name_zh"), ("name_en", "name_en"), ("active", "active")):
            if key in p.changes:
                values[column] = {"code": p.data["code"], "community": p.data["community_id"], "name_zh": p.data["name_zh"], "name_en": p.data["name_en"], "active": p.data["active"]}[key]
        await _update("landmark", p.existing["id"], values)
        before, after = _changed(p)
        writer.audit_row("landmark.updated", "landmark", p.existing["id"], before, after)


async def write_boards(writer: Writer, plan: Plan) -> None:
    """Through the registry's own ``upsert_many``, which audits each board it creates or changes."""
    from portal.boards.rules import upsert_many

    await upsert_many(writer.actor, [p.data["board"] for p in plan.rows if p.action in ("create", "update")])


WRITERS = {"officers": write_officers, "volunteers": write_volunteers, "watchpoints": write_watchpoints, "landmarks": write_landmarks, "boards": write_boards}


async def write(writer: Writer, plan: Plan) -> None:
    await WRITERS[plan.kind](writer, plan)
    await writer.flush_audit()

