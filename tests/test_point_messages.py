"""A host hears when someone writes to the police through their watch point's QR code,
and the point's page shows whether each message was answered: the day and the state,
never who wrote, how to reach them, what they wrote or the tracking code."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.ledger.tables import LedgerItem
from portal.notifications.tables import Notification
from portal.public.tables import Intake
from portal.watchpoints.tables import WatchPoint
from tests.conftest import PASSWORD, http_client, log_in, post_form
from tests.test_watchpoints_rules import make_point

SECRET_TEXT = "我家孩子在药房门口被人拦住要钱"
CONTACT = ("王秘密", "13900007777")


def intake_form(**overrides) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "text": SECRET_TEXT, "contact_name": CONTACT[0], "contact_phone": CONTACT[1], "website": ""} | overrides


async def slug_of(point_id: int) -> str:
    return (await WatchPoint.select(WatchPoint.slug).where(WatchPoint.id == point_id).first().run())["slug"]


async def host_client(app, host_id: int):
    from portal.accounts.tables import User

    client = http_client(app)
    await client.__aenter__()
    await log_in(client, (await User.select(User.username).where(User.id == host_id).first().run())["username"], PASSWORD)
    return client


async def test_the_host_is_told_and_sees_waiting_then_answered_and_nothing_personal(app, client, client_for, make_user, area):
    point_id, host_id = await make_point(make_user, area)
    _other_point, other_host = await make_point(make_user, area, name="别家超市")
    slug = await slug_of(point_id)
    form = intake_form()
    assert (await post_form(client, f"/c/a/ask/help?point={slug}", form)).status_code == 303
    assert (await post_form(client, f"/c/a/ask/help?point={slug}", form)).status_code == 303  # a double submit: one message
    assert (await post_form(client, f"/c/a/ask/complaint?point={slug}", intake_form(text="店门口总有人吵架"))).status_code == 303
    assert (await post_form(client, "/c/a/ask/suggestion", intake_form(text="社区的表单"))).status_code == 303  # not through a point

    told = await Notification.select(Notification.subject, Notification.body, Notification.link).where(Notification.user == host_id).run()
    assert len(told) == 2 and all(n["link"] == f"/watchpoints/{point_id}#qr-messages" for n in told)
    assert told[0]["subject"] == "Someone wrote to the police through the QR code of 陈记药房"
    for note in told:
        assert SECRET_TEXT not in str(note) and CONTACT[0] not in str(note) and CONTACT[1] not in str(note)
    assert await Notification.count().where(Notification.user == other_host).run() == 0

    host = await host_client(app, host_id)
    try:
        page = (await host.get(f"/watchpoints/{point_id}")).text
        section = page[page.index('id="qr-messages"'):page.index("</section>", page.index('id="qr-messages"'))]
        assert section.count("Waiting for an answer") == 2
        codes = [r["tracking_code"] for r in await Intake.select(Intake.tracking_code).run()]
        for secret in (SECRET_TEXT, "店门口总有人吵架", *CONTACT, *codes, *[c[:4] for c in codes]):
            assert secret not in page, secret
        assert "Complaint" not in section and "Help" not in section  # not even the kind

        # The officer answers the help request; the complaint's ledger item gets its answer, then closes.
        officer, _ = await client_for("officer")
        help_id = (await Intake.select(Intake.id).where((Intake.point == point_id) & (Intake.kind == "help")).first().run())["id"]
        assert (await post_form(officer, f"/intake/{help_id}/answer", {"text": "已联系家长和学校。"})).status_code == 303
        section = (await host.get(f"/watchpoints/{point_id}")).text
        assert section.count("Waiting for an answer") == 1 and "已联系家长和学校" not in section
        complaint = (await Intake.select(Intake.id).where(Intake.kind == "complaint").first().run())["id"]
        await LedgerItem.update({LedgerItem.stage: "feedback_given", LedgerItem.feedback_at: dt.datetime.now(dt.timezone.utc)}).where(LedgerItem.intake == complaint).run()
        page = (await host.get(f"/watchpoints/{point_id}")).text
        assert "Waiting for an answer" not in page and page.count("<li>") >= 2
        await LedgerItem.update({LedgerItem.stage: "closed"}).where(LedgerItem.intake == complaint).run()
        assert "Answered and closed" in (await host.get(f"/watchpoints/{point_id}")).text
    finally:
        await host.__aexit__(None, None, None)


async def test_a_point_without_a_host_tells_nobody_and_its_page_says_so(client, client_for, make_user, area):
    point_id, host_id = await make_point(make_user, area)
    await WatchPoint.update({WatchPoint.host: None}).where(WatchPoint.id == point_id).run()
    assert (await post_form(client, f"/c/a/ask/help?point={await slug_of(point_id)}", intake_form())).status_code == 303
    assert await Notification.count().where(Notification.kind == "intake.at_point").run() == 0
    officer, _ = await client_for("officer")
    page = (await officer.get(f"/watchpoints/{point_id}")).text
    assert "Waiting for an answer" in page and SECRET_TEXT not in page and CONTACT[1] not in page
    empty_point, _ = await make_point(make_user, area, name="新店")
    assert "No message through the QR code yet." in (await officer.get(f"/watchpoints/{empty_point}")).text
