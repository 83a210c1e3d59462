"""Demo volunteers beyond the named accounts: every community's volunteer team, verified
over the year (东门's grows through it, 南滩西's thins out), each with an account
(``v-<community>-01`` …, the demo password), a profile and a skill or two. Part of the
demo history (``portal.demo_history``)."""

from __future__ import annotations

import datetime as dt

from portal.accounts.tables import RoleGrant, User
from portal.volunteers.tables import SKILLS, VolunteerProfile, VolunteerSkill

AVAILABILITY = ("工作日晚上", "周末全天", "周六上午", "工作日白天（已退休）", "每周二、四晚上", "节假日", "Weekday evenings")


async def history_volunteers(history) -> None:
    from portal.demo_history import PROFILES, Person

    await history.reserve(User, RoleGrant, VolunteerProfile)
    rng = history.rng
    named = await VolunteerProfile.select(VolunteerProfile.user, VolunteerProfile.community, VolunteerProfile.user.real_name).where(VolunteerProfile.status == "verified").run()
    for profile in PROFILES:
        community = history.communities.get(profile.code)
        if not community:
            continue
        team = history.volunteers.setdefault(profile.code, [])
        # The README's volunteers have been there most of the year and turn out often.
        for row in named:
            if row["community"] == community["id"]:
                team.append(Person(row["user"], row["user.real_name"], history.first_day - dt.timedelta(days=30), 3.0, named=True))
        officer = history.officer_of(profile)
        for number in range(1, profile.volunteers + 1):
            # Most teams were there before the year began and grew a little; 东门's grew
            # through it; 南滩西's took nobody new and lost people.
            if profile.trend == "improving":
                back = int(400 + rng.random() * 300) if rng.random() < 0.25 else int((1 - rng.random() ** 0.6) * 360)
            elif profile.trend == "lagging":
                back = int(380 + rng.random() * 400)
            else:
                back = int(380 + rng.random() * 400) if rng.random() < 0.7 else int(rng.random() * 360)
            joined = history.today - dt.timedelta(days=back)
            left = None
            if profile.trend == "lagging" and rng.random() < 0.5:
                left = history.first_day + dt.timedelta(days=int(30 + rng.random() * 300))
            english = rng.random() < profile.english * 2
            name = history.person_name(english)
            decided = history.at(joined, 10 + rng.random() * 7)
            user_id = history.add(
                User, username=f"v-{profile.code}-{number:02d}", password_hash=history.password_hash, real_name=name, phone=history.phone(),
                preferred_language="en" if english else "zh_CN", active=True, created_at=decided - dt.timedelta(days=3),
            )
            history.add(RoleGrant, user=user_id, role="volunteer", community=community["id"], created_at=decided - dt.timedelta(days=3))
            history.add(
                VolunteerProfile, user=user_id, community=community["id"], status="verified", availability=rng.choice(AVAILABILITY),
                consent_at=decided - dt.timedelta(days=3), may_be_named=rng.random() < 0.6, applied_at=decided - dt.timedelta(days=3),
                decided_at=decided, decided_by=officer, application_key=None,
            )
            for skill in rng.sample(SKILLS, rng.choice((0, 1, 1, 2))):
                expires = history.today + dt.timedelta(days=int(200 + rng.random() * 700)) if skill in ("first_aid", "driving") else None
                history.add_plain(VolunteerSkill, user=user_id, skill=skill, expires_on=expires)
            # A few turn out nearly every week, most now and then.
            team.append(Person(user_id, name, joined, rng.paretovariate(1.6), left))
