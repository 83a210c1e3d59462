"""Each officer's own saved views of the ledger list, over HTTP: saved from the list's
current filters under a name (checked, at most 20, a double submit kept once), shown as
links beside the preset views to their owner only, opened as the list they name, and
removed by their owner; each change audited. A refusal is a 422 with the message next to
the name and the name kept, and changes nothing."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.ledger import rules, saved_views
from portal.ledger.rules import NewItem
from portal.ledger.tables import LedgerSavedView
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes

NOISE_DUE = {"stage": "open", "category": "noise", "sort": "due"}


def numbers(html: str) -> set[str]:
    return set(re.findall(r"<strong>([A-Z]+-\d{4}-\d+)</strong>", html))


async def test_an_officer_saves_opens_and_removes_views_of_their_own(client_for, area):
    client, officer_id = await client_for("officer")
    colleague, colleague_id = await client_for("officer")
    officer = await load_actor(officer_id)
    noise = await rules.file_item(officer, NewItem(ledger="complaint", category="noise", community_id=area.community_id, summary="Karaoke"))
    other = await rules.file_item(officer, NewItem(ledger="claim", category="documents", community_id=area.community_id, summary="Lost ID card"))
    # The list offers to save what it shows: its filters ride along as hidden fields.
    page = (await client.get("/ledger", params=NOISE_DUE)).text
    assert 'action="/ledger/views"' in page and '<input type="hidden" name="category" value="noise">' in page
    # A name is needed; the filters must be ones the list accepts; nothing is saved.
    async with nothing_changes(also=(LedgerSavedView,)):
        response = await post_form(client, "/ledger/views", {"name": "  ", **NOISE_DUE})
        assert response.status_code == 422 and field_error(response.text, "name") == "Give the view a name."
        response = await post_form(client, "/ledger/views", {"name": "x" * 61, **NOISE_DUE})
        assert response.status_code == 422 and field_error(response.text, "name") == "Use at most 60 characters."
        response = await post_form(client, "/ledger/views", {"name": "Noise", **NOISE_DUE, "category": "nonsense"})
        assert response.status_code == 422 and "These filters cannot be saved" in response.text and 'value="Noise"' in response.text
    response = await post_form(client, "/ledger/views", {"name": "Noise by deadline", **NOISE_DUE})
    assert response.status_code == 303
    link = response.headers["location"]
    assert urlsplit(link).path == "/ledger" and dict(parse_qsl(urlsplit(link).query)) == NOISE_DUE
    # A double submit keeps one; the same name for other filters is refused (any case).
    assert (await post_form(client, "/ledger/views", {"name": "Noise by deadline", **NOISE_DUE})).status_code == 303
    async with nothing_changes(also=(LedgerSavedView,)):
        response = await post_form(client, "/ledger/views", {"name": "NOISE BY DEADLINE", "stage": "closed"})
        assert response.status_code == 422 and field_error(response.text, "name") == "You already have a view with this name."
    rows = await LedgerSavedView.select().run()
    assert [(r["owner"], r["name"]) for r in rows] == [(officer_id, "Noise by deadline")]
    view_id = rows[0]["id"]
    entry = await AuditEntry.select().where((AuditEntry.action == "ledger.view_saved") & (AuditEntry.object_id == str(view_id))).output(load_json=True).first().run()
    assert entry["actor"] == officer_id and entry["after"]["name"] == "Noise by deadline"
    # On the ledger page as a link (the current one marked), and it lists what it says.
    page = (await client.get("/ledger")).text
    assert ">Noise by deadline</a>" in page and f'action="/ledger/views/{view_id}/remove"' in page
    shown = await client.get(link)
    assert numbers(shown.text) == {noise["number"]} and other["number"] not in shown.text
    assert re.search(r'aria-current="page">Noise by deadline</a>', shown.text)
    # Nobody else sees or removes it.
    assert "Noise by deadline" not in (await colleague.get("/ledger")).text
    async with nothing_changes((LedgerSavedView, view_id)):
        assert (await post_form(colleague, f"/ledger/views/{view_id}/remove")).status_code == 404
    assert await saved_views.views_of(colleague_id) == []
    response = await post_form(client, f"/ledger/views/{view_id}/remove")
    assert response.status_code == 303 and await LedgerSavedView.count().run() == 0
    assert await AuditEntry.exists().where((AuditEntry.action == "ledger.view_removed") & (AuditEntry.object_id == str(view_id))).run()
    assert (await post_form(client, f"/ledger/views/{view_id}/remove")).status_code == 404


async def test_at_most_twenty_views_each_and_heads_above_a_station_save_none(client_for, area):
    client, officer_id = await client_for("officer")
    overseer, _ = await client_for("district_head")
    officer = await load_actor(officer_id)
    for n in range(saved_views.MAX_VIEWS):
        await saved_views.save_view(officer, f"View {n:02d}", {"stage": "open", "due_within": str(n + 1)})
    page = (await client.get("/ledger")).text
    assert page.count('action="/ledger/views/') == saved_views.MAX_VIEWS and "the most there can be" in page
    async with nothing_changes(also=(LedgerSavedView,)):
        response = await post_form(client, "/ledger/views", {"name": "One more", "stage": "closed"})
        assert response.status_code == 422 and field_error(response.text, "name") == "You have 20 saved views, the most there can be: remove one first."
        assert 'value="One more"' in response.text
        assert (await post_form(overseer, "/ledger/views", {"name": "Mine", "stage": "open"})).status_code == 403
    assert 'action="/ledger/views"' not in (await overseer.get("/ledger")).text
