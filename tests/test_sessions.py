"""Session stores: the database (default) and Redis (PORTAL_REDIS_URL) behave alike."""

import datetime as dt
import os

import pytest

from portal.accounts.rules import DatabaseSessions, RedisSessions
from portal.accounts.tables import UserSession

LIFETIME = dt.timedelta(hours=1)


@pytest.fixture(params=["database", "redis"])
async def sessions(request, database):
    if request.param == "database":
        yield DatabaseSessions(LIFETIME)
        return
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set (CI sets it)")
    store = RedisSessions(url, LIFETIME)
    await store.redis.flushdb()
    yield store
    await store.redis.flushdb()
    await store.close()


async def test_a_session_finds_its_user_until_it_ends(sessions, make_user):
    user_id = await make_user("volunteer")
    token = await sessions.create(user_id, "127.0.0.1", "test")
    assert await sessions.user_id_for(token) == user_id
    assert await sessions.user_id_for(token + "x") is None
    await sessions.end(token)
    assert await sessions.user_id_for(token) is None


async def test_ending_all_sessions_of_a_user_spares_the_others(sessions, make_user):
    one, two = await make_user("volunteer"), await make_user("volunteer")
    tokens = [await sessions.create(one, "", "") for _ in range(3)]
    other = await sessions.create(two, "", "")
    assert await sessions.end_all_for(one) == 3
    assert [await sessions.user_id_for(t) for t in tokens] == [None, None, None]
    assert await sessions.user_id_for(other) == two


async def test_tokens_are_stored_only_as_hashes(database, make_user):
    user_id = await make_user("volunteer")
    token = await DatabaseSessions(LIFETIME).create(user_id, "", "")
    stored = await UserSession.select(UserSession.token_hash).run()
    assert token not in [s["token_hash"] for s in stored] and len(stored[0]["token_hash"]) == 64


async def test_expired_database_sessions_are_refused(database, make_user):
    store = DatabaseSessions(LIFETIME)
    user_id = await make_user("volunteer")
    token = await store.create(user_id, "", "")
    await UserSession.update({UserSession.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}, force=True).run()
    assert await store.user_id_for(token) is None
