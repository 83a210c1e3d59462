"""Checking a file's rows: what each would create, update or leave unchanged, or why it is
refused. Nothing here writes.

Every unit code is looked up in SQL together with whether it lies in the actor's reach;
existing people and places are read in a few queries for the whole file (never a query
per row). The same checks run at the preview and again inside the confirming
transaction (``portal.imports.write``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from portal.accounts.rules import SCOPED_ROLES, Actor
from portal.db import fetch
from portal.imports import columns as C
from portal.imports.readers import FileRefused, Sheet
from portal.volunteers.rules import SKILL_LABELS
from portal.volunteers.tables import SKILLS
from portal.watchpoints import hours as H
from portal.watchpoints.forms import KIND_LABELS
from portal.watchpoints.rules import PointData, PointError, check_data
from portal.watchpoints.tables import KINDS as POINT_KINDS
from portal.web.i18n import gettext as _

ACTIONS = ("create", "update", "unchanged", "refused")
# Which kinds each role may import: an officer their communities' volunteers and places,
# a station head also the officers and heads of their station, an admin everything.
KINDS_BY_ROLE = {
    "admin": ("officers", "volunteers", "watchpoints", "landmarks", "boards"),
    "head": ("officers", "volunteers", "watchpoints", "landmarks", "boards"),
    "officer": ("volunteers", "watchpoints", "landmarks", "boards"),
}
CHUNK = 500
MAX_NAME = 100
MAX_ADDRESS = 200


def kinds_for(actor: Actor) -> tuple[str, ...]:
    for role in ("admin", "head", "officer"):
        if role in actor.roles and not getattr(actor, "read_only", False):
            return KINDS_BY_ROLE[role]
    return ()


@dataclass
class RowPlan:
    row: int
    key: str
    action: str = "create"
    messages: list[str] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    existing: dict[str, Any] | None = None

    def refuse(self, message: str) -> None:
        self.action = "refused"
        self.messages.append(message)

    def report(self) -> dict:
        return {"row": self.row, "key": self.key, "action": self.action, "message": " ".join(self.messages), "changes": self.changes}


@dataclass
class Plan:
    kind: str
    rows: list[RowPlan]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def blocked(self) -> bool:
        return any(row.action == "refused" for row in self.rows)

    def report(self) -> list[dict]:
        return [row.report() for row in self.rows]


ProgressCallback = Any  # callable(done: int, total: int) or None


# --- The file's columns --------------------------------------------------------------------


def map_columns(kind: str, header: list[str]) -> list[str | None]:
    """The column key of each header cell; refuses unknown, repeated and missing columns."""
    known = C.header_map(kind)
    keys: list[str | None] = []
    unknown: list[str] = []
    for text in header:
        if not text.strip():
            keys.append(None)
            continue
        key = known.get(C.normalise_header(text))
        if key is None:
            unknown.append(text)
        elif key in keys:
            raise FileRefused(_("The column %(column)s appears twice: keep one.", column="“" + text + "”"))
        keys.append(key)
    expected = ", ".join(c.zh + " / " + c.en for c in C.COLUMNS[kind])
    if unknown:
        named = ", ".join("“" + u + "”" for u in unknown)
        raise FileRefused(_("Unknown columns: %(columns)s. The columns of this kind of file are: %(expected)s. Start from the template.", columns=named, expected=expected))
    missing = [c for c in C.COLUMNS[kind] if c.required and c.key not in keys]
    if missing:
        named = ", ".join(c.zh + " / " + c.en for c in missing)
        raise FileRefused(_("Missing columns: %(columns)s. The columns of this kind of file are: %(expected)s. Start from the template.", columns=named, expected=expected))
    return keys


def _records(kind: str, sheet: Sheet) -> list[tuple[int, dict[str, str], dict[str, str]]]:
    """(row number, values by column key, formulas by column key) for each data row."""
    keys = map_columns(kind, sheet.header)
    records = []
    for number, cells in sheet.rows:
        values = {key: (cells[index] if index < len(cells) else "") for index, key in enumerate(keys) if key}
        found = sheet.formulas.get(number, {})
        formulas = {keys[index]: text for index, text in found.items() if index < len(keys) and keys[index]}
        records.append((number, values, formulas))
    return records


def _first_checks(plan: RowPlan, values: dict[str, str], formulas: dict[str, str], kind: str) -> bool:
    for key, formula in formulas.items():
        plan.refuse(_("The cell in column %(column)s is a formula (%(formula)s): type the value itself.", column=_column_name(kind, key), formula=formula[:40]))
    for column in C.COLUMNS[kind]:
        if column.required and not values.get(column.key, "").strip() and column.key not in formulas:
            plan.refuse(_("%(column)s is empty.", column=_column_name(kind, column.key)))
    return plan.action != "refused"


def _column_name(kind: str, key: str) -> str:
    from portal.web.i18n import current_language

    column = next(c for c in C.COLUMNS[kind] if c.key == key)
    return f"“{column.zh if current_language() == 'zh_CN' else column.en}”"


def _duplicates(plans: list[RowPlan], label) -> None:
    seen: dict[str, int] = {}
    for plan in plans:
        if not plan.key:
            continue
        first = seen.setdefault(plan.key.lower(), plan.row)
        if first != plan.row:
            plan.refuse(label(plan.key, first))


# --- Units and the actor's reach, in SQL ---------------------------------------------------


def _in_list(values) -> tuple[str, list]:
    values = list(values)
    return ", ".join("{}" for _ in values), values


async def _units(table: str, codes: set[str], mine_sql: str, mine_args: list) -> dict[str, dict]:
    """Units of ``table`` by lower-cased code, each with ``mine``: in the actor's reach."""
    found: dict[str, dict] = {}
    codes = sorted({c.strip().lower() for c in codes if c.strip()})
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        marks, args = _in_list(chunk)
        parent = ", station" if table == "community" else ""
        rows = await fetch(f"SELECT id, code, retired_at{parent}, CASE WHEN {mine_sql} THEN 1 ELSE 0 END AS mine FROM {table} WHERE LOWER(code) IN ({marks})", *mine_args, *args)
        for row in rows:
            found[row["code"].lower()] = row
    return found


def _reach_sql(ids: frozenset[int] | None) -> tuple[str, list]:
    if ids is None:
        return "1 = 1", []
    if not ids:
        return "1 = 0", []
    marks, args = _in_list(sorted(ids))
    return f"id IN ({marks})", args


async def communities(actor: Actor, codes: set[str], role: str = "officer") -> dict[str, dict]:
    sql, args = _reach_sql(actor.communities(role))
    return await _units("community", codes, sql, args)


async def stations(actor: Actor, codes: set[str]) -> dict[str, dict]:
    ids = None if "admin" in actor.roles else frozenset(g.station_id for g in actor.grants if g.role == "head" and g.station_id)
    sql, args = _reach_sql(ids)
    return await _units("station", codes, sql, args)


async def upper_units(actor: Actor, table: str, codes: set[str]) -> dict[str, dict]:
    """Districts and cities: only an administrator reaches them."""
    return await _units(table, codes, "1 = 1" if "admin" in actor.roles else "1 = 0", [])


def _unit_problem(unit: dict | None, code: str, what: str) -> str | None:
    if unit is None:
        return _("There is no %(unit)s with the code %(code)s.", unit=what, code=code)
    if unit["retired_at"] is not None:
        return _("The %(unit)s %(code)s is retired.", unit=what, code=code)
    if not unit["mine"]:
        return _("The %(unit)s %(code)s is not one of yours.", unit=what, code=code)
    return None


# --- People --------------------------------------------------------------------------------


@dataclass
class People:
    by_phone: dict[str, list[dict]]
    usernames: set[str]

    def one(self, phone: str) -> tuple[dict | None, bool]:
        """The account with this phone, and whether several share it."""
        found = self.by_phone.get(phone, [])
        return (found[0] if found else None), len(found) > 1


async def people() -> People:
    """Every account's phone (normalised) and username: one query. Stored phones were typed
    by hand ("138 0013 8000"), so they are compared in their normal form."""
    rows = await fetch("SELECT id, username, real_name, phone, email, active FROM portal_user")
    by_phone: dict[str, list[dict]] = {}
    for row in rows:
        phone = C.mobile(row["phone"] or "")
        if phone:
            by_phone.setdefault(phone, []).append(row)
    return People(by_phone, {row["username"] for row in rows})


async def grants_of(user_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for start in range(0, len(user_ids), CHUNK):
        marks, args = _in_list(user_ids[start:start + CHUNK])
        for row in await fetch(f'SELECT * FROM role_grant WHERE "user" IN ({marks}) ORDER BY id', *args):
            found.setdefault(row["user"], []).append(row)
    return found


def username_for(phone: str, taken: set[str]) -> str:
    """The phone itself, or the phone and a number when that is taken."""
    name, n = phone, 1
    while name in taken:
        n += 1
        name = f"{phone}-{n}"
    taken.add(name)
    return name


def _phone_or_refuse(plan: RowPlan, text: str, column: str) -> str | None:
    phone = C.mobile(text)
    if phone is None:
        plan.refuse(_("The phone %(phone)s in %(column)s is not a mobile number (11 digits starting with 13 to 19).", phone=text.strip(), column=column))
    return phone


def _text(plan: RowPlan, values: dict, key: str, limit: int, kind: str) -> str:
    value = values.get(key, "").strip()
    if len(value) > limit:
        plan.refuse(_("%(column)s is longer than %(max)d characters.", column=_column_name(kind, key), max=limit))
    return value


def _email(plan: RowPlan, values: dict, kind: str) -> str:
    email = _text(plan, values, "email", 254, kind)
    if email and not C.EMAIL.match(email):
        plan.refuse(_("%(value)s is not an e-mail address.", value=email))
    return email


def _yes_no(plan: RowPlan, values: dict, key: str, kind: str) -> bool | None:
    text = values.get(key, "")
    answer = C.yes_no(text)
    if answer is None:
        plan.refuse(_("%(column)s must be yes or no, not %(value)s.", column=_column_name(kind, key), value=text))
    return answer if text.strip() else None


def _change(plan: RowPlan, name: str, before: Any, after: Any) -> None:
    if (before if before is not None else "") != (after if after is not None else ""):
        plan.changes[name] = ["" if before is None else str(before), "" if after is None else str(after)]


def _settle(plan: RowPlan) -> None:
    """An existing record without changes is unchanged; with changes, updated."""
    if plan.action == "refused" or plan.existing is None:
        return
    plan.action = "update" if plan.changes else "unchanged"


def _progress(callback, done: int, total: int) -> None:
    if callback and (done % 1000 == 0 or done == total):
        callback(done, total)


# --- Officers and heads ----------------------------------------------------------------------

UNIT_OF_ROLE = {"officer": "community", "head": "station", "district_head": "district", "city_head": "city"}


def _unit_word(table: str) -> str:
    return {"community": _("community"), "station": _("station"), "district": _("district"), "city": _("city")}[table]


async def plan_officers(actor: Actor, sheet: Sheet, progress: ProgressCallback = None) -> Plan:
    records = _records("officers", sheet)
    plans: list[RowPlan] = []
    codes: dict[str, set[str]] = {table: set() for table in UNIT_OF_ROLE.values()}
    for number, values, formulas in records:
        plan = RowPlan(number, C.mobile(values.get("phone", "")) or values.get("phone", "").strip())
        plans.append(plan)
        if not _first_checks(plan, values, formulas, "officers"):
            continue
        name = _text(plan, values, "name", MAX_NAME, "officers")
        phone = _phone_or_refuse(plan, values["phone"], _column_name("officers", "phone"))
        role = C.ROLE_WORDS.get(values["role"].strip().lower()) or C.ROLE_WORDS.get(values["role"].strip())
        if role is None or role not in SCOPED_ROLES:
            plan.refuse(_("The role %(role)s is not one of officer, head, district_head, city_head.", role=values["role"]))
            continue
        unit = values["unit"].strip()
        codes[UNIT_OF_ROLE[role]].add(unit)
        plan.data = {"name": name, "phone": phone, "role": role, "unit": unit, "email": _email(plan, values, "officers")}
    _duplicates(plans, lambda key, first: _("The phone %(phone)s is also on row %(row)d.", phone=key, row=first))
    units = {
        "community": await communities(actor, codes["community"], "head"),
        "station": await stations(actor, codes["station"]),
        "district": await upper_units(actor, "district", codes["district"]) if codes["district"] else {},
        "city": await upper_units(actor, "city", codes["city"]) if codes["city"] else {},
    }
    known = await people()
    matched = [known.one(p.data["phone"])[0] for p in plans if p.data.get("phone")]
    grants = await grants_of(sorted({m["id"] for m in matched if m}))
    own_communities = actor.communities("head")
    own_stations = {g.station_id for g in actor.grants if g.role == "head"}
    admin = "admin" in actor.roles
    for done, plan in enumerate(plans, start=1):
        _progress(progress, done, len(plans))
        if plan.action == "refused":
            continue
        data = plan.data
        table = UNIT_OF_ROLE[data["role"]]
        unit = units[table].get(data["unit"].lower())
        problem = _unit_problem(unit, data["unit"], _unit_word(table))
        if problem:
            plan.refuse(problem)
            continue
        data["grant"] = {"role": data["role"], "station": unit["station"] if table == "community" else (unit["id"] if table == "station" else None),
                         "community": unit["id"] if table == "community" else None,
                         "district": unit["id"] if table == "district" else None, "city": unit["id"] if table == "city" else None}
        user, shared = known.one(data["phone"])
        if shared:
            plan.refuse(_("Several accounts have the phone %(phone)s: correct them on the users page first.", phone=data["phone"]))
            continue
        if user is None:
            continue
        held = grants.get(user["id"], [])
        if any(g["role"] in ("volunteer", "host", "admin") for g in held):
            plan.refuse(_("The phone %(phone)s belongs to an account that is not an officer's: give it the role on the users page.", phone=data["phone"]))
            continue
        if not admin and not all((g["community"] in (own_communities or ()) if g["community"] else g["station"] in own_stations) for g in held):
            plan.refuse(_("The phone %(phone)s belongs to an account outside your units.", phone=data["phone"]))
            continue
        plan.existing = {"id": user["id"], "username": user["username"], "real_name": user["real_name"], "email": user["email"]}
        _change(plan, "name", user["real_name"], data["name"])
        if data["email"]:
            _change(plan, "email", user["email"], data["email"])
        wanted = data["grant"]
        if not any(all(g.get(k) == v for k, v in wanted.items() if v is not None) and g["role"] == wanted["role"] for g in held):
            _change(plan, "role", "", f"{data['role']} {data['unit']}")
            data["add_grant"] = True
        _settle(plan)
    return Plan("officers", plans)


# --- Volunteers ------------------------------------------------------------------------------


async def plan_volunteers(actor: Actor, sheet: Sheet, progress: ProgressCallback = None) -> Plan:
    records = _records("volunteers", sheet)
    plans: list[RowPlan] = []
    codes: set[str] = set()
    today = dt.date.today()
    labels = {code: _(label) for code, label in SKILL_LABELS.items()}
    for number, values, formulas in records:
        plan = RowPlan(number, C.mobile(values.get("phone", "")) or values.get("phone", "").strip())
        plans.append(plan)
        if not _first_checks(plan, values, formulas, "volunteers"):
            continue
        name = _text(plan, values, "name", MAX_NAME, "volunteers")
        phone = _phone_or_refuse(plan, values["phone"], _column_name("volunteers", "phone"))
        skills, bad = C.parse_skills(values.get("skills", ""), SKILLS, labels)
        if bad:
            plan.refuse(_("The skill %(skill)s is not one of first_aid, english, mediation, driving, fire_safety, sign_language (with an optional date such as first_aid:2027-06-30).", skill=bad))
        for skill, expires in skills.items():
            if expires and expires < today:
                plan.refuse(_("The date of %(skill)s has passed: leave it empty or give a future date.", skill=skill))
        verified = _yes_no(plan, values, "verified", "volunteers")
        community = values["community"].strip()
        codes.add(community)
        plan.data = {"name": name, "phone": phone, "community": community, "skills": skills if values.get("skills", "").strip() else None,
                     "verified": verified, "email": _email(plan, values, "volunteers")}
    _duplicates(plans, lambda key, first: _("The phone %(phone)s is also on row %(row)d.", phone=key, row=first))
    units = await communities(actor, codes)
    known = await people()
    matched = sorted({user["id"] for p in plans if p.data.get("phone") for user in known.by_phone.get(p.data["phone"], [])})
    profiles: dict[int, dict] = {}
    skills_of: dict[int, dict[str, dt.date | None]] = {}
    grants = await grants_of(matched)
    for start in range(0, len(matched), CHUNK):
        marks, args = _in_list(matched[start:start + CHUNK])
        for row in await fetch(f'SELECT p.id, p."user", p.community, p.status, c.code FROM volunteer_profile p JOIN community c ON c.id = p.community WHERE p."user" IN ({marks})', *args):
            profiles[row["user"]] = row
        for row in await fetch(f'SELECT "user", skill, expires_on FROM volunteer_skill WHERE "user" IN ({marks}) ORDER BY id', *args):
            skills_of.setdefault(row["user"], {})[row["skill"]] = row["expires_on"]
    scope = actor.communities("officer")
    for done, plan in enumerate(plans, start=1):
        _progress(progress, done, len(plans))
        if plan.action == "refused":
            continue
        data = plan.data
        unit = units.get(data["community"].lower())
        problem = _unit_problem(unit, data["community"], _("community"))
        if problem:
            plan.refuse(problem)
            continue
        data["community_id"], data["station_id"] = unit["id"], unit["station"]
        user, shared = known.one(data["phone"])
        if shared:
            plan.refuse(_("Several accounts have the phone %(phone)s: correct them on the users page first.", phone=data["phone"]))
            continue
        if user is None:
            if data["verified"] is None:
                data["verified"] = False
            continue
        profile = profiles.get(user["id"])
        if profile is None or profile["status"] == "deleted":
            plan.refuse(_("The phone %(phone)s belongs to an account that is not a volunteer's.", phone=data["phone"]))
            continue
        if scope is not None and profile["community"] not in scope:
            plan.refuse(_("The phone %(phone)s belongs to a volunteer of a community that is not yours.", phone=data["phone"]))
            continue
        plan.existing = {"id": user["id"], "profile": profile["id"], "real_name": user["real_name"], "email": user["email"], "community": profile["community"],
                         "status": profile["status"], "skills": skills_of.get(user["id"], {}),
                         "grant": next((g["id"] for g in grants.get(user["id"], []) if g["role"] == "volunteer" and g["community"] == profile["community"]), None)}
        _change(plan, "name", user["real_name"], data["name"])
        if data["email"]:
            _change(plan, "email", user["email"], data["email"])
        if unit["id"] != profile["community"]:
            _change(plan, "community", profile["code"], unit["code"])
        if data["skills"] is not None:
            _change(plan, "skills", C.skills_text(plan.existing["skills"]), C.skills_text(data["skills"]))
        if data["verified"]:
            if profile["status"] in ("rejected", "suspended"):
                plan.refuse(_("This volunteer is %(status)s: decide on the volunteer's page, not by import.", status=_("suspended") if profile["status"] == "suspended" else _("not accepted")))
                continue
            _change(plan, "verified", _("no") if profile["status"] == "pending" else _("yes"), _("yes"))
        _settle(plan)
    return Plan("volunteers", plans)


# --- Watch points ----------------------------------------------------------------------------


def _float(plan: RowPlan, values: dict, key: str, kind: str) -> float | None:
    text = values.get(key, "").strip()
    if not text:
        return None
    try:
        return float(text.replace("，", "."))
    except ValueError:
        plan.refuse(_("%(column)s must be a number, not %(value)s.", column=_column_name(kind, key), value=text))
        return None


def _code(plan: RowPlan, values: dict, kind: str) -> str:
    code = values.get("code", "").strip()
    if code and not C.CODE_PATTERN.match(code):
        plan.refuse(_("The code %(code)s may hold only letters, digits, -, _ and . (at most 40).", code=code))
    return code


async def _coded(table: str, codes: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for start in range(0, len(codes), CHUNK):
        marks, args = _in_list(codes[start:start + CHUNK])
        for row in await fetch(f"SELECT * FROM {table} WHERE LOWER(import_code) IN ({marks})", *args):
            found[row["import_code"].lower()] = row
    return found


async def plan_watchpoints(actor: Actor, sheet: Sheet, progress: ProgressCallback = None) -> Plan:
    records = _records("watchpoints", sheet)
    plans: list[RowPlan] = []
    codes: set[str] = set()
    kind_words = {**C.KIND_WORDS, **{str(label).lower(): code for code, label in KIND_LABELS.items()}, **{k: k for k in POINT_KINDS}}
    for number, values, formulas in records:
        plan = RowPlan(number, values.get("code", "").strip())
        plans.append(plan)
        if not _first_checks(plan, values, formulas, "watchpoints"):
            continue
        code = _code(plan, values, "watchpoints")
        kind = kind_words.get(values["kind"].strip().lower())
        if kind is None:
            plan.refuse(_("The kind %(kind)s is not one of shop, pharmacy, hotel, supermarket, property_gate, school_side, other.", kind=values["kind"]))
        latitude, longitude = _float(plan, values, "latitude", "watchpoints"), _float(plan, values, "longitude", "watchpoints")
        week = None
        if values.get("hours", "").strip():
            week = C.parse_hours(values["hours"])
            if week is None:
                plan.refuse(_("The hours %(hours)s cannot be read: write them like Mon-Fri 08:00-20:00; Sat 09:00-18:00; Sun closed.", hours=values["hours"]))
        point_phone = _text(plan, values, "phone", 32, "watchpoints")
        host_phone = _phone_or_refuse(plan, values["host_phone"], _column_name("watchpoints", "host_phone"))
        data = {
            "code": code, "community": values["community"].strip(), "name_zh": _text(plan, values, "name_zh", MAX_NAME, "watchpoints"),
            "name_en": _text(plan, values, "name_en", MAX_NAME, "watchpoints"), "kind": kind, "address": _text(plan, values, "address", MAX_ADDRESS, "watchpoints"),
            "latitude": latitude, "longitude": longitude, "week": week, "phone": point_phone,
            "host_name": _text(plan, values, "host_name", MAX_NAME, "watchpoints"), "host_phone": host_phone,
            "verified": _yes_no(plan, values, "verified", "watchpoints"),
        }
        if plan.action != "refused":
            try:
                check_data(PointData(0, data["name_zh"], kind, data["address"], latitude=latitude, longitude=longitude, week=week or tuple(H.Day() for _ in range(7))))
            except PointError as error:
                plan.refuse(error.message)
        codes.add(data["community"])
        plan.data = data
    _duplicates(plans, lambda key, first: _("The code %(code)s is also on row %(row)d.", code=key, row=first))
    units = await communities(actor, codes)
    existing = await _coded("watch_point", sorted({p.key.lower() for p in plans if p.key}))
    known = await people()
    hosts = sorted({user["id"] for p in plans if p.data.get("host_phone") for user in known.by_phone.get(p.data["host_phone"], [])})
    grants = await grants_of(hosts)
    scope = actor.communities("officer")
    community_codes = {row["id"]: code for code, row in units.items()}
    for done, plan in enumerate(plans, start=1):
        _progress(progress, done, len(plans))
        if plan.action == "refused":
            continue
        data = plan.data
        unit = units.get(data["community"].lower())
        problem = _unit_problem(unit, data["community"], _("community"))
        if problem:
            plan.refuse(problem)
            continue
        data["community_id"], data["station_id"] = unit["id"], unit["station"]
        host, shared = known.one(data["host_phone"])
        if shared:
            plan.refuse(_("Several accounts have the phone %(phone)s: correct them on the users page first.", phone=data["host_phone"]))
            continue
        if host is not None:
            held = grants.get(host["id"], [])
            if any(g["role"] in ("officer", "head", "admin", "district_head", "city_head") for g in held):
                plan.refuse(_("The host's phone %(phone)s belongs to an officer's account.", phone=data["host_phone"]))
                continue
            data["host_id"] = host["id"]
            data["host_grant"] = any(g["role"] == "host" and g["community"] == unit["id"] for g in held)
        point = existing.get(plan.key.lower())
        if point is None:
            continue
        if scope is not None and point["community"] not in scope:
            plan.refuse(_("The code %(code)s belongs to a watch point of a community that is not yours.", code=plan.key))
            continue
        plan.existing = point
        _change(plan, "community", community_codes.get(point["community"], point["community"]), unit["code"])
        for key in ("name_zh", "kind", "address"):
            _change(plan, key, point[key], data[key])
        for key in ("name_en", "phone"):
            if data[key]:
                _change(plan, key, point[key], data[key])
        if data["latitude"] is not None:
            _change(plan, "latitude", point["latitude"], data["latitude"])
            _change(plan, "longitude", point["longitude"], data["longitude"])
        if data["week"] is not None and H.week_from_text(point["hours"]) != data["week"]:
            plan.changes["hours"] = [C.hours_text(H.week_from_text(point["hours"])), C.hours_text(data["week"])]
        if point["host"] != data.get("host_id", -1):
            plan.changes["host"] = [str(point["host"] or ""), data["host_phone"]]
        if data["verified"]:
            if point["status"] == "suspended":
                plan.refuse(_("The watch point %(code)s is suspended: reinstate it on its page before verifying it.", code=plan.key))
                continue
            _change(plan, "status", point["status"], "verified")
        _settle(plan)
    return Plan("watchpoints", plans)


# --- Landmarks -------------------------------------------------------------------------------


async def plan_landmarks(actor: Actor, sheet: Sheet, progress: ProgressCallback = None) -> Plan:
    records = _records("landmarks", sheet)
    plans: list[RowPlan] = []
    codes: set[str] = set()
    for number, values, formulas in records:
        plan = RowPlan(number, values.get("code", "").strip())
        plans.append(plan)
        if not _first_checks(plan, values, formulas, "landmarks"):
            continue
        data = {"code": _code(plan, values, "landmarks"), "community": values["community"].strip(), "name_zh": _text(plan, values, "name_zh", MAX_NAME, "landmarks"),
                "name_en": _text(plan, values, "name_en", MAX_NAME, "landmarks"), "active": _yes_no(plan, values, "active", "landmarks")}
        codes.add(data["community"])
        plan.data = data
    _duplicates(plans, lambda key, first: _("The code %(code)s is also on row %(row)d.", code=key, row=first))
    units = await communities(actor, codes)
    existing = await _coded("landmark", sorted({p.key.lower() for p in plans if p.key}))
    ids = sorted({u["id"] for u in units.values()})
    by_name: dict[tuple[int, str], dict] = {}
    for start in range(0, len(ids), CHUNK):
        marks, args = _in_list(ids[start:start + CHUNK])
        for row in await fetch(f"SELECT * FROM landmark WHERE community IN ({marks}) AND import_code IS NULL ORDER BY id", *args):
            by_name.setdefault((row["community"], row["name_zh"]), row)
    scope = actor.communities("officer")
    community_codes = {row["id"]: code for code, row in units.items()}
    for done, plan in enumerate(plans, start=1):
        _progress(progress, done, len(plans))
        if plan.action == "refused":
            continue
        data = plan.data
        unit = units.get(data["community"].lower())
        problem = _unit_problem(unit, data["community"], _("community"))
        if problem:
            plan.refuse(problem)
            continue
        data["community_id"] = unit["id"]
        landmark = existing.get(plan.key.lower())
        if landmark is None:
            # A landmark typed by hand under the same name becomes this code's.
            landmark = by_name.pop((unit["id"], data["name_zh"]), None)
            if landmark is None:
                continue
            plan.changes["code"] = ["", data["code"]]
        if scope is not None and landmark["community"] not in scope:
            plan.refuse(_("The code %(code)s belongs to a landmark of a community that is not yours.", code=plan.key))
            continue
        plan.existing = landmark
        _change(plan, "community", community_codes.get(landmark["community"], landmark["community"]), unit["code"])
        _change(plan, "name_zh", landmark["name_zh"], data["name_zh"])
        if data["name_en"]:
            _change(plan, "name_en", landmark["name_en"], data["name_en"])
        if data["active"] is not None and bool(landmark["active"]) != data["active"]:
            plan.changes["active"] = [_("yes") if landmark["active"] else _("no"), _("yes") if data["active"] else _("no")]
        _settle(plan)
    return Plan("landmarks", plans)


# --- Contact boards (the registry of portal.boards, matched on community and code) ------------


async def plan_boards(actor: Actor, sheet: Sheet, progress: ProgressCallback = None) -> Plan:
    from dataclasses import replace

    from portal.boards import rules as boards
    from portal.boards.forms import PLACE_KIND_LABELS, SHOW_LABELS
    from portal.boards.tables import PLACE_KINDS, SHOWS

    records = _records("boards", sheet)
    plans: list[RowPlan] = []
    codes: set[str] = set()
    place_words = {**C.PLACE_WORDS, **{str(label).lower(): code for code, label in PLACE_KIND_LABELS.items()}, **{k: k for k in PLACE_KINDS}}
    show_words = {**C.SHOW_WORDS, **{str(label).lower(): code for code, label in SHOW_LABELS.items()}, **{k: k for k in SHOWS}}
    for number, values, formulas in records:
        plan = RowPlan(number, boards.normal_code(values.get("code", "")))
        plans.append(plan)
        if not _first_checks(plan, values, formulas, "boards"):
            continue
        place_kind = None
        if values.get("place_kind", "").strip():
            place_kind = place_words.get(values["place_kind"].strip().lower())
            if place_kind is None:
                plan.refuse(_("The kind of place %(kind)s is not one of stairwell, building_site, market, square, street, school_gate, shop, residential_gate, other.", kind=values["place_kind"]))
        shows = None
        if values.get("shows", "").strip():
            parts = [p.strip().lower() for p in re.split(r"[,，;；、]+", values["shows"]) if p.strip()]
            shows = tuple(show_words.get(p, p) for p in parts)
        printed_on = None
        if values.get("printed_on", "").strip():
            printed_on = C.parse_date(values["printed_on"])
            if printed_on is None:
                plan.refuse(_("%(column)s must be a date such as 2026-03-01, not %(value)s.", column=_column_name("boards", "printed_on"), value=values["printed_on"]))
        plan.data = {"community": values["community"].strip(), "place_kind": place_kind, "shows": shows, "printed_on": printed_on,
                     "name_zh": values["name_zh"].strip(), "name_en": values.get("name_en", "").strip(), "address": values.get("address", "").strip(),
                     "note": values.get("note", "").strip(), "latitude": _float(plan, values, "latitude", "boards"), "longitude": _float(plan, values, "longitude", "boards")}
        codes.add(plan.data["community"])
    units = await communities(actor, codes)
    _duplicates(plans, lambda key, first: _("The code %(code)s is also on row %(row)d.", code=key, row=first))
    ids = sorted({u["id"] for u in units.values()})
    stored: dict[tuple[int, str], dict] = {}
    for start in range(0, len(ids), CHUNK):
        marks, args = _in_list(ids[start:start + CHUNK])
        for row in await fetch(f"SELECT * FROM contact_board WHERE community IN ({marks})", *args):
            stored[(row["community"], row["code"])] = row
    for done, plan in enumerate(plans, start=1):
        _progress(progress, done, len(plans))
        if plan.action == "refused":
            continue
        d = plan.data
        unit = units.get(d["community"].lower())
        problem = _unit_problem(unit, d["community"], _("community"))
        if problem:
            plan.refuse(problem)
            continue
        row = stored.get((unit["id"], plan.key))
        base = boards.BoardData(community_id=unit["id"], code=plan.key, name_zh=d["name_zh"])
        if row is not None:  # empty optional cells keep what the board has
            base = replace(base, place_kind=row["place_kind"], name_en=row["name_en"], address=row["address"], latitude=row["latitude"], longitude=row["longitude"],
                           shows=tuple((row["shows"] or "").split(",")), note=row["note"], printed_on=row["printed_on"], replaced_on=row["replaced_on"], replace_due=row["replace_due"])
        given = {k: d[k] for k in ("place_kind", "shows", "printed_on", "name_en", "address", "note") if d[k]}
        if d["latitude"] is not None or d["longitude"] is not None:
            given.update(latitude=d["latitude"], longitude=d["longitude"])
        data = replace(base, **given)
        try:
            values = boards.clean(data)
        except boards.BoardError as error:
            plan.refuse(error.message)
            continue
        d["board"] = data
        if row is None:
            continue
        if row["retired_at"] is not None:
            plan.refuse(_("The board %(code)s is retired: restore it on the registry page first.", code=plan.key))
            continue
        plan.existing = row
        for key, value in values.items():
            _change(plan, key, row[key], value)
        _settle(plan)
    return Plan("boards", plans)


PLANNERS = {"officers": plan_officers, "volunteers": plan_volunteers, "watchpoints": plan_watchpoints, "landmarks": plan_landmarks, "boards": plan_boards}


async def make_plan(actor: Actor, kind: str, sheet: Sheet, progress: ProgressCallback = None) -> Plan:
    if kind not in kinds_for(actor):
        raise FileRefused(_("You cannot import this kind of file."))
    return await PLANNERS[kind](actor, sheet, progress)
