"""Running at scale: the password hashing cost, the serve command's workers and roles,
and static files addressed by their content."""

from __future__ import annotations

from argon2 import PasswordHasher

from portal.accounts import rules as accounts
from portal.accounts.tables import User
from portal.settings import Settings, SettingsError, load_settings
from tests.conftest import PASSWORD, log_in

import pytest


def test_production_hashes_at_owasps_cost_and_tests_use_the_cheap_one(settings):
    """Production hashes at OWASP's recommended Argon2id cost (m=19 MiB, t=2, p=1); the
    test settings hash cheaply."""
    default = Settings()
    assert (default.password_time_cost, default.password_memory_kib, default.password_parallelism) == (2, 19 * 1024, 1)
    production = PasswordHasher(time_cost=default.password_time_cost, memory_cost=default.password_memory_kib, parallelism=default.password_parallelism)
    assert production.hash("x" * 12).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    accounts.configure_passwords(settings)  # another test's app may have set another cost
    assert accounts.hash_password("x" * 12).startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_a_password_hashing_cost_below_argon2s_minimum_is_refused():
    with pytest.raises(SettingsError):
        load_settings({"PORTAL_PASSWORD_MEMORY_KIB": "16", "PORTAL_PASSWORD_PARALLELISM": "4"})
    with pytest.raises(SettingsError):
        load_settings({"PORTAL_PASSWORD_TIME_COST": "0"})


async def test_a_hash_made_at_another_cost_still_logs_in_and_is_rehashed_at_the_configured_one(client, make_user, settings):
    """Changing the cost locks nobody out: the stored hash carries its parameters."""
    accounts.configure_passwords(settings)
    user_id = await make_user("volunteer", username="costly")
    stronger = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1).hash(PASSWORD)
    await User.update({User.password_hash: stronger}).where(User.id == user_id).run()

    await log_in(client, "costly")

    stored = (await User.select(User.password_hash).where(User.id == user_id).first().run())["password_hash"]
    assert stored != stronger
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")


async def test_pages_link_static_files_by_content_hash_and_those_addresses_are_cached_for_a_year(client):
    """A hashed address is immutable; an unhashed or stale one is revalidated."""
    import hashlib
    import re

    from portal.settings import ROOT

    page = (await client.get("/login")).text
    href = re.search(r'<link rel="stylesheet" href="(/static/css/portal\.css\?v=([0-9a-f]{12}))">', page)
    assert href, page[:800]
    assert href.group(2) == hashlib.sha256((ROOT / "static/css/portal.css").read_bytes()).hexdigest()[:12]

    hashed = await client.get(href.group(1), headers={"Accept-Encoding": "gzip"})
    assert hashed.status_code == 200
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert hashed.headers["content-encoding"] == "gzip"
    assert hashed.headers["vary"] == "Accept-Encoding"

    for address in ("/static/css/portal.css", "/static/css/portal.css?v=000000000000"):
        plain = await client.get(address)
        assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache", address
    missing = await client.get("/static/css/nothing.css?v=000000000000")
    assert missing.status_code == 404 and "immutable" not in missing.headers.get("cache-control", "")


def test_a_static_url_outside_the_static_folder_gets_no_hash():
    from portal.web.static import static_url

    assert static_url("../pyproject.toml") == "/static/../pyproject.toml"
    assert static_url("css/none.css") == "/static/css/none.css"


async def test_a_password_check_leaves_the_worker_free_for_other_requests():
    """Argon2id at the production cost takes ~0.1 s; the event loop keeps running meanwhile."""
    import asyncio

    expensive = PasswordHasher().hash(PASSWORD)
    ticks = []

    async def tick():
        while True:
            ticks.append(1)
            await asyncio.sleep(0.002)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    assert await accounts.check_password(expensive, PASSWORD)
    ticker.cancel()
    assert len(ticks) > 5


async def test_one_password_hash_at_a_time_per_process():
    """Each takes the hash's memory (19 MiB by default): a burst of logins must not take the worker's memory."""
    import asyncio
    import threading
    import time

    running, peak, lock = [0], [0], threading.Lock()

    def hash_slowly():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.03)
        with lock:
            running[0] -= 1

    await asyncio.gather(*(asyncio.to_thread(accounts._bounded, hash_slowly) for _ in range(6)))
    assert peak[0] == 1
