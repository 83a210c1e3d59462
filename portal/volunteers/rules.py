"""Volunteers: applying, the officer's decisions, one's own profile, deleting one's account.

Every change writes its audit row (and, for decisions, the volunteer's notification) in
the same transaction. Officers only ever reach profiles of their own communities: every
query here filters by ``actor.communities("officer")`` in SQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field

from portal.accounts.rules import AccountError, Actor, SessionStore, create_user, now, password_matches
from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import is_unique_violation, write_transaction
from portal.notifications.rules import notify
from portal.notifications.tables import Notification
from portal.stations.tables import Community
from portal.volunteers.tables import SKILLS, VolunteerProfile, VolunteerSkill
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.pagination import Page, keyset_page
from portal.web.sorting import Order, SortedPage, SortKey, Sorts, sorted_page

# Applications per client address, counted in the database like the public intake forms:
# an account factory is refused, a family or a registration desk sharing one address is not.
APPLY_PER_ADDRESS = (5, dt.timedelta(minutes=15))

SKILL_LABELS = {
    "first_aid": N_("First aid"),
    "english": N_("English"),
    "mediation": N_("Dispute mediation"),
    "driving": N_("Driving"),
    "fire_safety": N_("Fire safety"),
    "sign_language": N_("Sign language"),
}
STATUS_LABELS = {
    "none": N_("No volunteer profile"),
    "pending": N_("Waiting for verification"),
    "verified": N_("Verified"),
    "rejected": N_("Not accepted"),
    "suspended": N_("Suspended"),
    "deleted": N_("Deleted"),
}
# Officers' lists never show deleted accounts.
LISTED_STATUSES = ("pending", "verified", "rejected", "suspended")
# Stored in real_name of a deleted account and translated where it is shown.
DELETED_NAME_PREFIX = "Deleted volunteer #"
MAX_REASON = 500
MAX_AVAILABILITY = 1000

# action -> (statuses it starts from, status it leads to, whether a reason is required)
TRANSITIONS = {
    "verify": (("pending",), "verified", False),
    "reject": (("pending",), "rejected", True),
    "suspend": (("verified",), "suspended", True),
    "reinstate": (("suspended",), "verified", False),
}
MESSAGES = {
    "verify": (N_("Your application was accepted"), N_("Welcome to the volunteer patrol! You can now take shifts in your community.")),
    "reject": (N_("Your application was not accepted"), N_("Reason given by the officer: %(reason)s")),
    "suspend": (N_("Your volunteer account was suspended"), N_("Reason given by the officer: %(reason)s")),
    "reinstate": (N_("Your volunteer account was reinstated"), N_("You can take shifts again.")),
}


def display_name(real_name: str) -> str:
    """A person's name as shown: a deleted account's placeholder is translated."""
    if real_name.startswith(DELETED_NAME_PREFIX):
        return _("Deleted volunteer #%(id)s", id=real_name.removeprefix(DELETED_NAME_PREFIX))
    return real_name


def check_skills(skills: dict[str, dt.date | None], today: dt.date) -> None:
    for skill, expires_on in skills.items():
        if skill not in SKILLS:
            raise AccountError("skills", _("Choose skills from the list."))
        if expires_on is not None and expires_on < today:
            raise AccountError(f"expires_{skill}", _("This date has passed: leave it empty or give a future date."))


# --- Applying ------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    real_name: str
    phone: str
    community_id: int
    username: str
    password: str
    consent: bool
    application_key: str
    email: str = ""
    availability: str = ""
    may_be_named: bool = False
    skills: dict[str, dt.date | None] = field(default_factory=dict)
    preferred_language: str = "zh_CN"


@dataclass(frozen=True)
class Applied:
    user_id: int
    created: bool  # False: the same form was sent before


async def _existing(application_key: str) -> int | None:
    row = await VolunteerProfile.select(VolunteerProfile.user).where(VolunteerProfile.application_key == application_key).first().run()
    return row["user"] if row else None


async def was_sent(application_key: str) -> bool:
    """The same form came before: a resend is answered, not counted against the limit."""
    return await _existing(application_key) is not None


async def apply(application: Application, today: dt.date | None = None) -> Applied:
    """A person without an account applies: a user with the volunteer role, a pending
    profile and the skills, in one transaction. The same form twice gives one account."""
    today = today or dt.date.today()
    if not application.consent:
        raise AccountError("consent", _("Agree to the use of your data to apply."))
    check_skills(application.skills, today)
    if existing := await _existing(application.application_key):
        return Applied(existing, False)
    try:
        async with write_transaction():
            user_id = await create_user(
                None,
                username=application.username,
                password=application.password,
                real_name=application.real_name,
                role="volunteer",
                phone=application.phone,
                email=application.email,
                preferred_language=application.preferred_language,
                community_id=application.community_id,
            )
            moment = now()
            created = await VolunteerProfile.insert(
                VolunteerProfile(
                    user=user_id,
                    community=application.community_id,
                    status="pending",
                    availability=application.availability.strip(),
                    consent_at=moment,
                    may_be_named=application.may_be_named,
                    applied_at=moment,
                    application_key=application.application_key,
                )
            ).returning(VolunteerProfile.id).run()
            await _replace_skills(user_id, application.skills)
            await record(
                "volunteer.applied",
                "volunteer_profile",
                created[0]["id"],
                actor=None,
                after={"user": user_id, "community": application.community_id, "skills": sorted(application.skills), "may_be_named": application.may_be_named},
            )
    except AccountError:
        # Two copies of one form racing: the second finds the first's key.
        if existing := await _existing(application.application_key):
            return Applied(existing, False)
        raise
    except Exception as error:
        if not is_unique_violation(error):
            raise
        if existing := await _existing(application.application_key):
            return Applied(existing, False)
        raise AccountError("username", _("This username is already taken.")) from error
    return Applied(user_id, True)


async def ensure_profile(actor: Actor | None, user_id: int, community_id: int, status: str = "verified", skills: dict[str, dt.date | None] | None = None) -> bool:
    """Give a volunteer created by an admin (or the demo) a profile; False if one exists."""
    async with write_transaction():
        if await VolunteerProfile.exists().where(VolunteerProfile.user == user_id).run():
            return False
        moment = now()
        decided = status != "pending"
        created = await VolunteerProfile.insert(
            VolunteerProfile(
                user=user_id,
                community=community_id,
                status=status,
                consent_at=moment,
                applied_at=moment,
                decided_at=moment if decided else None,
                decided_by=getattr(actor, "id", None) if decided else None,
            )
        ).returning(VolunteerProfile.id).run()
        await _replace_skills(user_id, skills or {})
        await record("volunteer.profile_created", "volunteer_profile", created[0]["id"], actor=actor, after={"user": user_id, "community": community_id, "status": status})
    return True


async def _replace_skills(user_id: int, skills: dict[str, dt.date | None]) -> None:
    await VolunteerSkill.delete().where(VolunteerSkill.user == user_id).run()
    if skills:
        await VolunteerSkill.insert(*(VolunteerSkill(user=user_id, skill=skill, expires_on=expires_on) for skill, expires_on in sorted(skills.items()))).run()


# --- Officers ------------------------------------------------------------------------

PROFILE_COLUMNS = (
    VolunteerProfile.id,
    VolunteerProfile.user,
    VolunteerProfile.community,
    VolunteerProfile.status,
    VolunteerProfile.applied_at,
    VolunteerProfile.decided_at,
    VolunteerProfile.may_be_named,
    VolunteerProfile.user.real_name,
    VolunteerProfile.community.name_zh,
    VolunteerProfile.community.name_en,
    VolunteerProfile.community.timezone,
)


def _scoped(query, actor: Actor):
    scope = actor.communities("officer")
    if scope is None:
        return query
    return query.where(VolunteerProfile.community.is_in(list(scope) or [0]))


async def skills_of(user_ids: list[int]) -> dict[int, list[dict]]:
    """Skills of the users on one page (one query)."""
    if not user_ids:
        return {}
    rows = await VolunteerSkill.select(VolunteerSkill.user, VolunteerSkill.skill, VolunteerSkill.expires_on).where(VolunteerSkill.user.is_in(user_ids)).order_by(VolunteerSkill.skill).run()
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["user"], []).append(row)
    return found


async def pending_page(actor: Actor, after: int | None) -> Page:
    """Applications waiting in the actor's communities, oldest first."""
    query = _scoped(VolunteerProfile.select(*PROFILE_COLUMNS).where(VolunteerProfile.status == "pending"), actor)
    return await keyset_page(query, VolunteerProfile.id, after)


# A community's volunteers sort by the profile's own columns, each under the community in
# an index (the volunteers migrations); the name is the account's (another table), which
# no index of the profiles can order.
VOLUNTEER_SORTS = Sorts({
    "status": SortKey(_lp("state", "Status"), column=VolunteerProfile.status),
    "applied": SortKey(_l("Applied on"), column=VolunteerProfile.applied_at),
}, default="applied")


async def volunteers_page(actor: Actor, community_id: int, status: str | None, after: str | None, order: Order | None = None) -> SortedPage:
    def select():
        query = _scoped(VolunteerProfile.select(*PROFILE_COLUMNS).where(VolunteerProfile.community == community_id), actor)
        if status in LISTED_STATUSES:
            return query.where(VolunteerProfile.status == status)
        return query.where(VolunteerProfile.status.is_in(list(LISTED_STATUSES)))

    return await sorted_page(select, order or VOLUNTEER_SORTS.parse(None), VolunteerProfile.id, after)


async def profile_for_officer(actor: Actor, profile_id: int) -> dict | None:
    """An application with the applicant's personal data, only within the actor's scope."""
    query = _scoped(
        VolunteerProfile.select(
            *PROFILE_COLUMNS,
            VolunteerProfile.availability,
            VolunteerProfile.consent_at,
            VolunteerProfile.decision_reason,
            VolunteerProfile.decided_by.real_name,
            VolunteerProfile.user.username,
            VolunteerProfile.user.phone,
            VolunteerProfile.user.email,
        ).where((VolunteerProfile.id == profile_id) & (VolunteerProfile.status != "deleted")),
        actor,
    )
    row = await query.first().run()
    if row:
        row["skills"] = (await skills_of([row["user"]])).get(row["user"], [])
    return row


async def decide(actor: Actor, profile_id: int, action: str, reason: str = "") -> str | None:
    """Verify, reject, suspend or reinstate; returns the new status, or None when the
    profile is not in the actor's communities. A stale page (someone decided meanwhile)
    raises AccountError."""
    starts, leads_to, needs_reason = TRANSITIONS[action]
    reason = reason.strip()
    async with write_transaction():
        profile = await _scoped(VolunteerProfile.select(VolunteerProfile.id, VolunteerProfile.user, VolunteerProfile.status).where(VolunteerProfile.id == profile_id), actor).first().run()
        if not profile or profile["status"] == "deleted":
            return None
        if needs_reason and not reason:
            raise AccountError("reason", _("Give a reason: the volunteer will read it."))
        if len(reason) > MAX_REASON:
            raise AccountError("reason", _("Use at most %(max)d characters.", max=MAX_REASON))
        moment = now()
        changed = await VolunteerProfile.update(
            {VolunteerProfile.status: leads_to, VolunteerProfile.decided_at: moment, VolunteerProfile.decided_by: actor.id, VolunteerProfile.decision_reason: reason}
        ).where((VolunteerProfile.id == profile_id) & VolunteerProfile.status.is_in(list(starts))).returning(VolunteerProfile.id).run()
        if not changed:
            raise AccountError("status", _("This volunteer's status has changed meanwhile; see it below."))
        await record(f"volunteer.{action}", "volunteer_profile", profile_id, actor=actor, before={"status": profile["status"]}, after={"status": leads_to, "reason": reason})
        subject, body = MESSAGES[action]
        await notify(profile["user"], f"volunteer.{action}", subject, body, link="/volunteer/profile", reason=reason)
    return leads_to


# --- One's own profile ---------------------------------------------------------------


async def own_profile(user_id: int) -> dict:
    user = await User.select(User.id, User.real_name, User.phone, User.email).where(User.id == user_id).first().run()
    profile = await VolunteerProfile.select(
        VolunteerProfile.id, VolunteerProfile.status, VolunteerProfile.availability, VolunteerProfile.may_be_named, VolunteerProfile.decision_reason, VolunteerProfile.community.name_zh, VolunteerProfile.community.name_en
    ).where(VolunteerProfile.user == user_id).first().run()
    skills = (await skills_of([user_id])).get(user_id, [])
    return {"user": user, "profile": profile, "skills": skills}


async def update_profile(
    actor: Actor, *, phone: str, email: str, availability: str, may_be_named: bool, skills: dict[str, dt.date | None], today: dt.date | None = None
) -> None:
    """Save one's own contact details, availability, skills and consent to be named.
    The audit names the fields that changed, not their values (personal data)."""
    check_skills(skills, today or dt.date.today())
    async with write_transaction():
        before = await own_profile(actor.id)
        changed = [name for name, old, new in (("phone", before["user"]["phone"], phone.strip()), ("email", before["user"]["email"], email.strip())) if old != new]
        await User.update({User.phone: phone.strip(), User.email: email.strip()}).where(User.id == actor.id).run()
        if before["profile"]:
            if before["profile"]["availability"] != availability.strip():
                changed.append("availability")
            if before["profile"]["may_be_named"] != may_be_named:
                changed.append("may_be_named")
            await VolunteerProfile.update({VolunteerProfile.availability: availability.strip(), VolunteerProfile.may_be_named: may_be_named}).where(VolunteerProfile.user == actor.id).run()
        old_skills = {s["skill"]: s["expires_on"] for s in before["skills"]}
        if old_skills != skills:
            changed.append("skills")
            await _replace_skills(actor.id, skills)
        await record("volunteer.profile_updated", "user", actor.id, actor=actor, after={"changed": changed, "skills": sorted(skills), "may_be_named": may_be_named})


async def delete_account(actor: Actor, password: str, sessions: SessionStore) -> None:
    """Anonymise one's own account: rows other features reference (logs, shifts) stay,
    pointing at a nameless, unusable account. The audit lists the cleared fields only."""
    user = await User.select(User.password_hash).where(User.id == actor.id).first().run()
    if not user or not password_matches(user["password_hash"], password):
        raise AccountError("password", _("The password is not correct."))
    cleared = ["real_name", "username", "phone", "email", "password", "availability", "skills", "decision_reason", "notifications"]
    async with write_transaction():
        await User.update(
            {
                User.real_name: f"{DELETED_NAME_PREFIX}{actor.id}",
                # Not a valid login name (no "!" passes the username pattern), never guessable.
                User.username: f"!deleted-{actor.id}-{secrets.token_hex(8)}",
                # Not an argon2 hash: no password ever matches it.
                User.password_hash: f"!{secrets.token_hex(16)}",
                User.phone: "",
                User.email: "",
                User.active: False,
            }
        ).where(User.id == actor.id).run()
        await VolunteerProfile.update(
            {VolunteerProfile.status: "deleted", VolunteerProfile.availability: "", VolunteerProfile.may_be_named: False, VolunteerProfile.decision_reason: "", VolunteerProfile.application_key: None}
        ).where(VolunteerProfile.user == actor.id).run()
        await VolunteerSkill.delete().where(VolunteerSkill.user == actor.id).run()
        await Notification.delete().where(Notification.user == actor.id).run()
        await record("volunteer.account_deleted", "user", actor.id, actor=actor, before={"cleared": cleared}, after={"active": False})
    await sessions.end_all_for(actor.id)


def new_application_key() -> str:
    return str(uuid.uuid4())


async def community_names(ids: list[int]) -> dict[int, dict]:
    rows = await Community.select(Community.id, Community.name_zh, Community.name_en, Community.timezone).where(Community.id.is_in(ids or [0])).run()
    return {r["id"]: r for r in rows}
