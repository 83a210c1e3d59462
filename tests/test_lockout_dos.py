"""Limits that cannot be turned against the people they protect (OWASP).

A stranger's wrong passwords lock an account for every other client, but a browser that
logged in to it before carries a signed device cookie: with the right password it gets
in, held only to its own failures. Unknown tracking codes from one address (a shared
NAT) slow that address's lookups down rather than refusing real codes.
"""

import time

from portal.accounts.rules import device_cookie_value, trusted_device
from portal.public import rules as public
from portal.public.tables import RateHit
from tests.conftest import PASSWORD, http_client, log_in, post_form
from tests.test_public_routes import intake_form

DEVICE = "shouwang_device"


async def test_the_owners_device_gets_in_while_a_stranger_locked_the_account(app, make_user, settings):
    await make_user("officer", username="owner", real_name="The Owner")
    async with http_client(app) as phone, http_client(app) as stranger:
        await log_in(phone, "owner")
        assert phone.cookies.get(DEVICE)
        assert (await post_form(phone, "/logout")).status_code == 303
        for _ in range(settings.login_max_failures):
            assert (await post_form(stranger, "/login", {"username": "owner", "password": "guess guess guess"})).status_code == 422
        # Locked for everyone else, the right password included.
        assert (await post_form(stranger, "/login", {"username": "owner", "password": PASSWORD})).status_code == 429
        # From the same address, the owner's device gets in with the right password.
        assert (await post_form(phone, "/login", {"username": "owner", "password": PASSWORD})).status_code == 303
        assert "The Owner" in (await phone.get("/")).text


async def test_a_device_is_held_to_its_own_failures_and_fits_one_account(app, make_user, settings):
    await make_user("officer", username="owner")
    await make_user("volunteer", username="other")
    async with http_client(app) as phone:
        await log_in(phone, "owner")
        device = phone.cookies.get(DEVICE)
        await post_form(phone, "/logout")
        for _ in range(settings.login_max_failures):
            assert (await post_form(phone, "/login", {"username": "owner", "password": "a typo typo typo"})).status_code == 422
        assert (await post_form(phone, "/login", {"username": "owner", "password": PASSWORD})).status_code == 429
    # The owner's device cookie speaks for the owner's account only, and only as signed.
    assert trusted_device(device, "owner", settings.secret_key) and not trusted_device(device, "other", settings.secret_key)
    assert not trusted_device(device, "owner", "another secret") and not trusted_device(device[:-1] + ("1" if device.endswith("0") else "0"), "owner", settings.secret_key)
    assert trusted_device(device_cookie_value("Other", settings.secret_key), "other", settings.secret_key)


async def test_unknown_codes_from_one_address_slow_real_codes_down_rather_than_refuse_them(client, area, monkeypatch):
    monkeypatch.setattr(public, "TRACK_FIRST_DELAY", 0.3)
    sent = await post_form(client, "/c/a/ask/suggestion", intake_form())
    real = sent.headers["location"].split("/track/")[1].split("?")[0]
    bucket = "miss:" + public.address_bucket("127.0.0.1", client._transport.app.state.settings.secret_key)
    for _ in range(25):  # more than the 20 that used to block the address
        await RateHit.insert(RateHit(bucket=bucket, at=public.now())).run()
    started = time.monotonic()
    page = await client.get(f"/track/{real}")
    assert page.status_code == 200 and time.monotonic() - started >= 0.3
    assert public.miss_delay(5) == 0 < public.miss_delay(12) < public.miss_delay(20) < public.miss_delay(30) <= public.TRACK_MAX_DELAY
