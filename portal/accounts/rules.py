"""Accounts: who someone is (Actor and scopes), logging in, sessions, and admin actions.

Every change of state here writes its audit row in the same transaction.
"""

from __future__ import annotations

import asyncio
import ctypes
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from piccolo.engine.postgres import PostgresEngine

from portal.accounts.passwords import MIN_PASSWORD_LENGTH, password_problem  # noqa: F401 - forms read the length here
from portal.accounts.tables import LANGUAGES, ROLES, LoginFailure, RoleGrant, User, UserSession
from portal.audit.rules import record
from portal.db import engine, fetch, true, write_transaction
from portal.web.i18n import gettext as _
from portal.stations.tables import City, Community, District, Station

_hasher = PasswordHasher()
# Verified against when the username does not exist, so both answers take as long; made
# at the first such login (a hash at import costs every process ~70 ms and 19 MiB).
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not-a-real-password")
    return _DUMMY_HASH


def _return_hash_memory_to_the_system() -> None:
    """Each hash takes ``password_memory_kib`` (19 MiB) and frees it. glibc raises its mmap
    threshold past a freed mapping that size, so from the second login on the block came
    from the heap and stayed: +20 MB per worker for good. A fixed threshold keeps such
    blocks mapped, given back when freed (M_MMAP_THRESHOLD, glibc's mallopt; elsewhere
    nothing changes)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD: 1 MiB, far below a hash's memory
    except (OSError, AttributeError):
        pass


def configure_passwords(settings) -> None:
    """Hash new passwords at the settings' Argon2id cost (tests choose a cheap one).

    Stored hashes carry their own parameters, so they still verify after a change;
    a login then re-hashes the password at the new cost.
    """
    global _hasher, _DUMMY_HASH
    _return_hash_memory_to_the_system()
    wanted = (settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism)
    if wanted == (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        return
    _hasher = PasswordHasher(time_cost=wanted[0], memory_cost=wanted[1], parallelism=wanted[2])
    _DUMMY_HASH = None
THROTTLE_WINDOW = dt.timedelta(minutes=15)
# A login attempt waits at most this long for earlier ones in flight to end.
RESERVE_WAIT = dt.timedelta(seconds=10)
# An attempt in flight for longer than this (its process died) counts as a failure.
IN_FLIGHT = dt.timedelta(minutes=1)
SESSION_TOUCH_EVERY = dt.timedelta(minutes=5)
SCOPED_ROLES = {"volunteer": "community", "host": "community", "officer": "community", "head": "station", "district_head": "district", "city_head": "city", "admin": None}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Argon2id takes tens of milliseconds and 19 MiB (the default cost): checked in a thread
# so that the worker's other requests go on meanwhile, one at a time so that a burst of
# logins adds one hash's memory to the worker, not one per login.
_HASHING = threading.BoundedSemaphore(1)


def _bounded(function, *args):
    with _HASHING:
        return function(*args)


async def check_password(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_bounded, password_matches, password_hash, password)


# --- Who is asking -------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    role: str
    station_id: int | None
    community_id: int | None
    district_id: int | None = None
    city_id: int | None = None


# Heads above a station: they read what a station head reads over their whole part of
# the tree, and change nothing.
OVERSEER_ROLES = ("district_head", "city_head")


@dataclass(frozen=True)
class Actor:
    """The logged-in user with every role and the communities each role reaches.

    A district or city head is, on a reading (GET) request, a station head of every
    station below (``reach`` of "head" and "officer" include their communities); on a
    request that changes something their grants reach nothing, so every rule that checks
    an officer's reach refuses them without knowing about them."""

    id: int
    username: str
    real_name: str
    preferred_language: str
    must_change_password: bool
    grants: tuple[Grant, ...]
    # role -> community ids it reaches; None means every community (admin).
    reach: dict[str, frozenset[int] | None] = field(default_factory=dict)
    # "head" while a district or city head reads; nothing otherwise.
    acting: frozenset[str] = frozenset()
    # The communities such a head reaches only by overseeing them.
    overseen_only: frozenset[int] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants) | self.acting

    @property
    def held_roles(self) -> frozenset[str]:
        """The roles granted, without the station head's a district or city head acts as."""
        return frozenset(g.role for g in self.grants)

    @property
    def read_only(self) -> bool:
        """Holds nothing but overseeing roles: every page is for reading."""
        return bool(self.held_roles) and self.held_roles <= frozenset(OVERSEER_ROLES)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def communities(self, *roles: str) -> frozenset[int] | None:
        """Communities where the actor holds any of ``roles``; None means all (admin)."""
        if "admin" in self.roles:
            return None
        reached: set[int] = set()
        for role in roles:
            reached |= self.reach.get(role) or frozenset()
        return frozenset(reached)

    def reaches(self, community_id: int, *roles: str) -> bool:
        scope = self.communities(*roles)
        return scope is None or community_id in scope

    def sees_personal_data(self, community_id: int) -> bool:
        """Third parties' names and contacts (who raised a matter, mediation parties, the
        public's contact): the community's officers, its station head and admins — not
        the heads above, who read the work without the people."""
        return self.reaches(community_id, "officer") and community_id not in self.overseen_only

    @property
    def home_role(self) -> str:
        """The role whose home page the actor sees first: the most senior one (heads at
        every level share the head's home page)."""
        for role in ("admin", "city_head", "district_head", "head", "officer", "host", "volunteer"):
            if role in self.roles:
                return "head" if role in OVERSEER_ROLES else role
        return "none"

    @property
    def head_level(self) -> str | None:
        """The highest level the actor heads: "city", "district", "station" or None."""
        for role, level in (("city_head", "city"), ("district_head", "district"), ("head", "station")):
            if role in self.held_roles:
                return level
        return None


async def load_actor(user_id: int, *, reading: bool = False) -> Actor | None:
    actor, _unread = await load_actor_and_unread(user_id, count_unread=False, reading=reading)
    return actor


async def load_actor_and_unread(user_id: int, *, count_unread: bool = True, reading: bool = False) -> tuple[Actor | None, int]:
    """Every request's actor in one statement: the user's few columns, the role grants
    (a LEFT JOIN: a user without roles is one row of NULLs), the communities a head
    reaches at any level, and (for full pages) the number of unread messages.
    ``reading``: the request changes nothing, so district and city heads read too."""
    rows = await fetch(_actor_statement("FROM portal_user u", "u.id = {}", count_unread), int(user_id))
    return _actor_from(rows, reading)


def _actor_statement(source: str, where: str, count_unread: bool, columns: str = "") -> str:
    """The actor's statement over ``source`` (which names the user ``u``)."""
    unread = ', (SELECT COUNT(*) FROM notification n WHERE n."user" = u.id AND n.read_at IS NULL) AS unread' if count_unread else ""
    return (
        f"SELECT {columns}u.id, u.username, u.real_name, u.preferred_language, u.must_change_password, rg.role, rg.station, rg.community, "
        f"rg.district, rg.city, hc.id AS headed_community{unread} {source} "
        'LEFT JOIN role_grant rg ON rg."user" = u.id '
        "LEFT JOIN station hs ON (rg.role = 'head' AND hs.id = rg.station) OR (rg.role = 'district_head' AND hs.district = rg.district) "
        "OR (rg.role = 'city_head' AND hs.district IN (SELECT d.id FROM district d WHERE d.city = rg.city)) "
        "LEFT JOIN community hc ON hc.station = hs.id "
        f"WHERE {where} AND u.active = {true()} ORDER BY rg.id, hc.id"
    )


def _actor_from(rows: list[dict], reading: bool) -> tuple[Actor | None, int]:
    if not rows:
        return None, 0
    user = rows[0]
    grants = tuple(dict.fromkeys(Grant(r["role"], r["station"], r["community"], r["district"], r["city"]) for r in rows if r["role"] is not None))
    headed: dict[str, set[int]] = {}
    for r in rows:
        if r["headed_community"] is not None:
            headed.setdefault(r["role"], set()).add(r["headed_community"])
    reach: dict[str, frozenset[int] | None] = {}
    for role in ROLES:
        reach[role] = frozenset({g.community_id for g in grants if g.role == role and g.community_id} | headed.get(role, set()))
    station_communities = headed.get("head", set())
    overseen = set().union(*(headed.get(role, set()) for role in OVERSEER_ROLES))
    acting: frozenset[str] = frozenset()
    overseen_only = frozenset(overseen - reach["officer"] - station_communities)
    if reading and overseen:
        station_communities = station_communities | overseen
        reach["head"] = frozenset(reach["head"] | overseen)
        acting = frozenset({"head"})
    # A station head has an officer's authority over the station's communities.
    reach["officer"] = frozenset(reach["officer"] | station_communities)
    actor = Actor(
        id=user["id"],
        username=user["username"],
        real_name=user["real_name"],
        preferred_language=user["preferred_language"],
        must_change_password=bool(user["must_change_password"]),
        grants=grants,
        reach=reach,
        acting=acting,
        overseen_only=overseen_only,
    )
    return actor, int(user.get("unread") or 0)


# --- Sessions ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore(Protocol):
    async def create(self, user_id: int, ip: str, user_agent: str) -> str: ...
    async def user_id_for(self, token: str) -> int | None: ...
    async def end(self, token: str) -> None: ...
    async def end_all_for(self, user_id: int) -> int: ...


class DatabaseSessions:
    """Sessions in the ``user_session`` table, shared by every process on the database."""

    def __init__(self, lifetime: dt.timedelta):
        self.lifetime = lifetime

    async def create(self, user_id: int, ip: str, user_agent: str) -> str:
        token = secrets.token_urlsafe(32)
        moment = now()
        await UserSession.insert(
            UserSession(
                token_hash=_token_hash(token),
                user=user_id,
                created_at=moment,
                last_seen_at=moment,
                expires_at=moment + self.lifetime,
                ip=ip[:64],
                user_agent=user_agent[:255],
            )
        ).run()
        return token

    async def user_id_for(self, token: str) -> int | None:
        rows = await fetch("SELECT id, \"user\", last_seen_at, expires_at FROM user_session WHERE token_hash = {}", _token_hash(token))
        row = rows[0] if rows else None
        return row["user"] if row and await self._live(row) else None

    async def _live(self, row: dict) -> bool:
        """Whether the session ``row`` has not expired; touched every few minutes while used."""
        moment = now()
        if row["expires_at"] <= moment:
            return False
        if moment - row["last_seen_at"] > SESSION_TOUCH_EVERY:
            await UserSession.update({UserSession.last_seen_at: moment, UserSession.expires_at: moment + self.lifetime}).where(UserSession.id == row["session_id" if "session_id" in row else "id"]).run()
        return True

    async def actor_for(self, token: str, *, count_unread: bool, reading: bool) -> tuple[Actor | None, int]:
        """The session and its person (``load_actor_and_unread``) in one statement: one
        round trip per request instead of two. A session of a deactivated person answers
        no rows, as ``load_actor`` answers None for them."""
        rows = await fetch(
            _actor_statement('FROM user_session s JOIN portal_user u ON u.id = s."user"', "s.token_hash = {}", count_unread,
                             columns="s.id AS session_id, s.last_seen_at, s.expires_at, "),
            _token_hash(token),
            short_read=True,
        )
        if not rows or not await self._live(rows[0]):
            return None, 0
        return _actor_from(rows, reading)

    async def end(self, token: str) -> None:
        await UserSession.delete().where(UserSession.token_hash == _token_hash(token)).run()

    async def end_all_for(self, user_id: int) -> int:
        ended = await UserSession.delete().where(UserSession.user == user_id).returning(UserSession.id).run()
        return len(ended)


class RedisSessions:
    """Sessions in Redis: one key per session (expiring) and a set of them per user."""

    def __init__(self, url: str, lifetime: dt.timedelta):
        import redis.asyncio as redis

        self.redis = redis.from_url(url)
        self.lifetime = lifetime

    async def create(self, user_id: int, ip: str, user_agent: str) -> str:
        token = secrets.token_urlsafe(32)
        digest = _token_hash(token)
        seconds = int(self.lifetime.total_seconds())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"shouwang:session:{digest}", str(user_id), ex=seconds)
            pipe.sadd(f"shouwang:user-sessions:{user_id}", digest)
            pipe.expire(f"shouwang:user-sessions:{user_id}", seconds)
            await pipe.execute()
        return token

    async def user_id_for(self, token: str) -> int | None:
        key = f"shouwang:session:{_token_hash(token)}"
        value = await self.redis.getex(key, ex=int(self.lifetime.total_seconds()))
        return int(value) if value else None

    async def end(self, token: str) -> None:
        await self.redis.delete(f"shouwang:session:{_token_hash(token)}")

    async def end_all_for(self, user_id: int) -> int:
        members = await self.redis.smembers(f"shouwang:user-sessions:{user_id}")
        keys = [f"shouwang:session:{m.decode()}" for m in members]
        ended = await self.redis.delete(*keys) if keys else 0
        await self.redis.delete(f"shouwang:user-sessions:{user_id}")
        return ended

    async def close(self) -> None:
        await self.redis.aclose()


# --- Logging in ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None = None
    locked_seconds: int = 0
    deactivated: bool = False  # the right password for an account that was deactivated


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _seconds_left(attempts: list[dict], limit: int) -> int:
    """Seconds until fewer than ``limit`` of ``attempts`` (oldest first) fall in the window."""
    if len(attempts) < limit:
        return 0
    return max(1, int((attempts[-limit]["at"] + THROTTLE_WINDOW - now()).total_seconds()))


def _split(rows: list[dict]) -> tuple[list[dict], int]:
    """(failures, attempts in flight): an attempt still pending after IN_FLIGHT (its
    process died during the check) counts as a failure."""
    stale = now() - IN_FLIGHT
    in_flight = [row for row in rows if row["pending"] and row["at"] > stale]
    return [row for row in rows if not (row["pending"] and row["at"] > stale)], len(in_flight)


async def _locked_for(username: str, ip: str, max_failures: int, device: str = "") -> tuple[int, bool]:
    """(seconds locked by the failures so far, whether attempts in flight fill what the
    limits leave). A trusted device is held to its own failures only: other clients'
    failures (someone guessing, a shared NAT) neither lock it out nor count against it."""
    since = now() - THROTTLE_WINDOW
    columns = (LoginFailure.at, LoginFailure.pending)
    if device:
        scope = (LoginFailure.device == device) & (LoginFailure.at > since)
    else:
        scope = (LoginFailure.username == username) & (LoginFailure.device == "") & (LoginFailure.at > since)
    failed, in_flight = _split(await LoginFailure.select(*columns).where(scope).order_by(LoginFailure.at).run())
    if locked := _seconds_left(failed, max_failures):
        return locked, False
    busy = len(failed) + in_flight >= max_failures
    if device:
        return 0, busy
    failed_here, in_flight_here = _split(await LoginFailure.select(*columns).where((LoginFailure.ip == ip) & (LoginFailure.at > since)).run())
    if len(failed_here) >= max_failures * 4:
        return int(THROTTLE_WINDOW.total_seconds()), False
    return 0, busy or len(failed_here) + in_flight_here >= max_failures * 4


async def _reserve_attempt(username: str, ip: str, max_failures: int, device: str = "") -> tuple[int | None, int]:
    """Count the attempt before the slow hash: under a lock per account and per address
    (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: transaction advisory locks,
    taken in one order), the failures and the attempts in flight are counted and, below
    the limits, this one is inserted as in flight and committed. Attempts sent at once
    queue there one by one, so no burst has more passwords checked than the limits
    allow; while attempts in flight fill the limit, the next waits for their outcome
    (right passwords free their place, wrong ones lock) up to RESERVE_WAIT.
    Returns (the reserved row's id, 0) or (None, seconds locked)."""
    deadline = time.monotonic() + RESERVE_WAIT.total_seconds()
    while True:
        async with write_transaction():
            if isinstance(engine(), PostgresEngine):
                names = [f"login-device:{device}"] if device else [f"login-user:{username}", f"login-ip:{ip}"]
                for key in sorted({_lock_key(name) for name in names}):
                    await LoginFailure.raw("SELECT pg_advisory_xact_lock({})", key).run()
            locked, busy = await _locked_for(username, ip, max_failures, device)
            if locked:
                return None, locked
            if not busy:
                created = await LoginFailure.insert(LoginFailure(username=username, ip=ip, at=now(), device=device, pending=True)).returning(LoginFailure.id).run()
                return created[0]["id"], 0
        if time.monotonic() > deadline:
            return None, 60
        await asyncio.sleep(0.05)


async def _forget_attempt(attempt_id: int) -> None:
    async with write_transaction():
        await LoginFailure.delete().where(LoginFailure.id == attempt_id).run()


async def log_in(username: str, password: str, ip: str, max_failures: int, device: str = "") -> LoginResult:
    """Check a username and password, throttled per account and per address, or, from
    a trusted ``device`` of this account (see trusted_device), per device only. The
    attempt is reserved (in flight) before the password is checked; a wrong password
    turns it into a failure, a right one removes it with the account's failures."""
    username = username.strip().lower()
    attempt, locked = await _reserve_attempt(username, ip[:64], max_failures, device)
    if attempt is None:
        await record("login.throttled", "user", username, ip=ip)
        return LoginResult(locked_seconds=locked)
    user = await User.select(User.id, User.username, User.password_hash, User.active).where(User.username == username).first().run()
    password_ok = await check_password(user["password_hash"] if user else _dummy_hash(), password) and user is not None
    if password_ok and not user["active"]:
        # Only who knows the password learns that the account exists and was deactivated.
        await _forget_attempt(attempt)
        await record("login.deactivated", "user", user["id"], ip=ip)
        return LoginResult(deactivated=True)
    ok = password_ok
    async with write_transaction():
        if not ok:
            await LoginFailure.update({LoginFailure.pending: False}).where(LoginFailure.id == attempt).run()
            await record("login.failed", "user", user["id"] if user else username, ip=ip)
            return LoginResult()
        # Its failures go, not other attempts still in flight (their outcome counts).
        await LoginFailure.delete().where((LoginFailure.username == username) & ((LoginFailure.pending == False) | (LoginFailure.id == attempt))).run()  # noqa: E712
        await User.update({User.last_login_at: now()}).where(User.id == user["id"]).run()
        await record("login", "user", user["id"], actor=_Ref(user["id"], user["username"]), ip=ip)
    if _hasher.check_needs_rehash(user["password_hash"]):
        await User.update({User.password_hash: await asyncio.to_thread(_bounded, hash_password, password)}).where(User.id == user["id"]).run()
    return LoginResult(user_id=user["id"])


# --- Trusted devices (OWASP's device cookies) -------------------------------------------------

DEVICE_TRUST = dt.timedelta(days=365)


def _device_signature(secret: str, payload: str) -> str:
    key = hashlib.sha256(b"shouwang-device:" + secret.encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def device_cookie_value(username: str, secret: str) -> str:
    """A new device id for the account, signed: the browser gets it after a successful login."""
    payload = f"{secrets.token_urlsafe(16)}.{int(now().timestamp())}.{username.strip().lower()}"
    return f"{payload}.{_device_signature(secret, payload)}"


def trusted_device(value: str | None, username: str, secret: str) -> str:
    """The device id of a signed device cookie of this account issued within a year, or "".
    A correct password from such a device passes the account's and the address's locks
    (it is held to its own failures), so a stranger's guesses cannot lock the owner out."""
    if not value or len(value) > 200:
        return ""
    payload, _, signature = value.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _device_signature(secret, payload)):
        return ""
    device, issued, owner = payload.split(".", 2)
    fresh = issued.isdigit() and now().timestamp() - int(issued) < DEVICE_TRUST.total_seconds()
    return device if fresh and owner == username.strip().lower() else ""


@dataclass(frozen=True)
class _Ref:
    id: int
    username: str


async def log_out(actor: Actor, sessions: SessionStore, token: str, ip: str = "") -> None:
    await sessions.end(token)
    await record("logout", "user", actor.id, actor=actor, ip=ip)


# --- Changes to accounts -------------------------------------------------------------


class AccountError(ValueError):
    """A rule refused the change; ``field`` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


async def change_password(actor: Actor, current: str, new: str, sessions: SessionStore) -> None:
    """Change the actor's own password and end all their sessions (the caller opens a new one)."""
    user = await User.select(User.password_hash).where(User.id == actor.id).first().run()
    if not user or not await check_password(user["password_hash"], current):
        raise AccountError("current_password", _("The current password is not correct."))
    if current == new:
        raise AccountError("new_password", _("Choose a password different from the current one."))
    if problem := password_problem(new, actor.username):
        raise AccountError("new_password", problem)
    async with write_transaction():
        await User.update({User.password_hash: hash_password(new), User.must_change_password: False}).where(User.id == actor.id).run()
        await record("password.changed", "user", actor.id, actor=actor)
    # Whoever knew the old password is logged out everywhere.
    await sessions.end_all_for(actor.id)


async def set_language(user_id: int, language: str) -> None:
    if language in LANGUAGES:
        await User.update({User.preferred_language: language}).where(User.id == user_id).run()


async def username_taken(username: str) -> bool:
    return await User.exists().where(User.username == username.strip().lower()).run()


async def _scoped_grant(role: str, station_id: int | None, community_id: int | None, district_id: int | None = None, city_id: int | None = None) -> dict:
    """The role grant's columns, checked: a community role needs a community (its
    station follows from it), a head needs the unit of their level, an admin nothing."""
    if role not in ROLES:
        raise AccountError("role", _("Choose a role from the list."))
    scope = SCOPED_ROLES[role]
    grant = {"role": role, "station": None, "community": None, "district": None, "city": None}
    if scope == "community":
        if not community_id:
            raise AccountError("community", _("This role needs a community."))
        community = await Community.select(Community.station).where(Community.id == community_id).first().run()
        if not community:
            raise AccountError("community", _("Choose a community from the list."))
        grant.update(station=community["station"], community=community_id)
    elif scope == "station":
        if not station_id:
            raise AccountError("station", _("This role needs a station."))
        if not await Station.exists().where(Station.id == station_id).run():
            raise AccountError("station", _("Choose a station from the list."))
        grant["station"] = station_id
    elif scope == "district":
        if not district_id or not await District.exists().where(District.id == district_id).run():
            raise AccountError("district", _("This role needs a district."))
        grant["district"] = district_id
    elif scope == "city":
        if not city_id or not await City.exists().where(City.id == city_id).run():
            raise AccountError("city", _("This role needs a city."))
        grant["city"] = city_id
    return grant


async def create_user(
    actor: Actor | None,
    *,
    username: str,
    password: str,
    real_name: str,
    role: str,
    phone: str = "",
    email: str = "",
    preferred_language: str = "zh_CN",
    station_id: int | None = None,
    community_id: int | None = None,
    district_id: int | None = None,
    city_id: int | None = None,
    must_change_password: bool = False,
) -> int:
    """Create a user with one role grant. ``actor`` None means the command line."""
    username = username.strip().lower()
    grant = await _scoped_grant(role, station_id, community_id, district_id, city_id)
    async with write_transaction():
        if await username_taken(username):
            raise AccountError("username", _("This username is already taken."))
        created = await User.insert(
            User(
                username=username,
                password_hash=hash_password(password),
                real_name=real_name.strip(),
                phone=phone.strip(),
                email=email.strip(),
                preferred_language=preferred_language,
                must_change_password=must_change_password,
                created_at=now(),
            )
        ).returning(User.id).run()
        user_id = created[0]["id"]
        await RoleGrant.insert(RoleGrant(user=user_id, created_at=now(), **grant)).run()
        await record("user.created", "user", user_id, actor=actor, after={"username": username, "real_name": real_name, "role": role})
        await record("role.granted", "user", user_id, actor=actor, after=grant)
    return user_id


async def grant_role(actor: Actor, user_id: int, role: str, station_id: int | None, community_id: int | None, district_id: int | None = None, city_id: int | None = None) -> None:
    grant = await _scoped_grant(role, station_id, community_id, district_id, city_id)
    async with write_transaction():
        same = (RoleGrant.user == user_id) & (RoleGrant.role == role)
        for column in (RoleGrant.station, RoleGrant.community, RoleGrant.district, RoleGrant.city):
            value = grant[column._meta.name]
            same &= column.is_null() if value is None else column == value
        exists = await RoleGrant.exists().where(same).run()
        if exists:
            raise AccountError("role", _("The user already has this role."))
        await RoleGrant.insert(RoleGrant(user=user_id, created_at=now(), **grant)).run()
        await record("role.granted", "user", user_id, actor=actor, after=grant)


async def revoke_role(actor: Actor, user_id: int, grant_id: int) -> bool:
    async with write_transaction():
        row = await RoleGrant.select().where((RoleGrant.id == grant_id) & (RoleGrant.user == user_id)).first().run()
        if not row:
            return False
        await RoleGrant.delete().where(RoleGrant.id == grant_id).run()
        await record("role.revoked", "user", user_id, actor=actor, before={key: row[key] for key in ("role", "station", "community", "district", "city")})
    return True


async def set_active(actor: Actor, user_id: int, active: bool, sessions: SessionStore) -> bool:
    """Deactivate (ending every session at once) or reactivate a user."""
    async with write_transaction():
        row = await User.select(User.active).where(User.id == user_id).first().run()
        if not row:
            return False
        if row["active"] != active:
            await User.update({User.active: active}).where(User.id == user_id).run()
            await record("user.activated" if active else "user.deactivated", "user", user_id, actor=actor, before={"active": row["active"]}, after={"active": active})
    if not active:
        await sessions.end_all_for(user_id)
    return True


async def reset_password(actor: Actor, user_id: int, sessions: SessionStore) -> str | None:
    """Give the user a one-time password to change at the next login; returns it once."""
    temporary = "-".join(secrets.token_hex(2) for _ in range(4))
    async with write_transaction():
        updated = await User.update({User.password_hash: hash_password(temporary), User.must_change_password: True}).where(User.id == user_id).returning(User.id).run()
        if not updated:
            return None
        await record("password.reset", "user", user_id, actor=actor)
    await sessions.end_all_for(user_id)
    return temporary
