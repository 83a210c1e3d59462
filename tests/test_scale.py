"""Running at scale: the password hashing cost, the serve command's workers and roles,
and static files addressed by their content."""

from __future__ import annotations

from argon2 import PasswordHasher

from portal.accounts import rules as accounts
from portal.accounts.tables import User
from portal.settings import Settings, SettingsError, load_settings
from tests.conftest import PASSWORD, log_in

import pytest


def test_production_keeps_argon2_default_cost_and_tests_use_the_cheap_one(settings):
    """Production hashes at argon2's RFC 9106 cost; the test settings hash cheaply."""
    default = Settings()
    reference = PasswordHasher()
    assert (default.password_time_cost, default.password_memory_kib, default.password_parallelism) == (
        reference.time_cost,
        reference.memory_cost,
        reference.parallelism,
    )
    assert accounts.hash_password("x" * 12).startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_a_password_hashing_cost_below_argon2s_minimum_is_refused():
    with pytest.raises(SettingsError):
        load_settings({"PORTAL_PASSWORD_MEMORY_KIB": "16", "PORTAL_PASSWORD_PARALLELISM": "4"})
    with pytest.raises(SettingsError):
        load_settings({"PORTAL_PASSWORD_TIME_COST": "0"})


async def test_a_hash_made_at_another_cost_still_logs_in_and_is_rehashed_at_the_configured_one(client, make_user):
    """Changing the cost locks nobody out: the stored hash carries its parameters."""
    user_id = await make_user("volunteer", username="costly")
    stronger = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1).hash(PASSWORD)
    await User.update({User.password_hash: stronger}).where(User.id == user_id).run()

    await log_in(client, "costly")

    stored = (await User.select(User.password_hash).where(User.id == user_id).first().run())["password_hash"]
    assert stored != stronger
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
