"""The organisation: city → district → station → community, created, renamed, moved and
retired (never deleted), each step audited, with the rules and with `portal org`."""

from __future__ import annotations

import re

import pytest

from portal.accounts.tables import RoleGrant, User
from portal.audit.tables import AuditEntry
from portal.stations import org
from portal.stations.org import OrgError, UnitData
from portal.stations.rules import community_choices, station_choices
from portal.stations.tables import City, Community, District, Station
from tests.conftest import field_error, post_form
from tests.test_cli import portal
from tests.unchanged import nothing_changes


@pytest.fixture(autouse=True)
def english():
    """The rules' messages in English unless a test asks for Chinese (another test of the
    session may have left its language active)."""
    from portal.web import i18n

    token = i18n.activate("en")
    yield
    i18n.restore(token)


async def build_tree() -> dict[str, int]:
    """西宁: two districts; 城中 with two stations, one of them with two communities."""
    ids = {}
    for data in (
        UnitData("city", "xining", "西宁市公安局", "Xining Public Security Bureau"),
        UnitData("district", "chengzhong-d", "城中分局", "Chengzhong District", parent_code="xining"),
        UnitData("district", "chengxi-d", "城西分局", "Chengxi District", parent_code="xining"),
        UnitData("station", "nanguan", "南关派出所", "Nanguan Station", parent_code="chengzhong-d"),
        UnitData("station", "libao", "礼堡派出所", "Libao Station", parent_code="chengzhong-d"),
        UnitData("community", "xiguan", "西关社区", "Xiguan", parent_code="nanguan", timezone="Asia/Shanghai", latitude=36.62, longitude=101.77),
        UnitData("community", "nanchuan", "南川社区", "Nanchuan", parent_code="nanguan"),
    ):
        ids[data.code] = await org.create(None, data)
    return ids


async def all_counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count().run() for table in (City, District, Station, Community, AuditEntry)}


async def test_the_four_levels_are_created_under_their_parents_and_audited(database):
    ids = await build_tree()
    community = await Community.select().where(Community.id == ids["xiguan"]).first().run()
    assert community["station"] == ids["nanguan"] and community["timezone"] == "Asia/Shanghai"
    assert (community["latitude"], community["longitude"]) == (36.62, 101.77)
    assert (await Community.select(Community.timezone).where(Community.id == ids["nanchuan"]).first().run())["timezone"] == "Asia/Shanghai"
    assert (await Station.select(Station.district).where(Station.id == ids["libao"]).first().run())["district"] == ids["chengzhong-d"]
    assert (await District.select(District.city).where(District.id == ids["chengxi-d"]).first().run())["city"] == ids["xining"]
    created = await AuditEntry.select(AuditEntry.action, AuditEntry.object_id, AuditEntry.after).where(AuditEntry.action.like("org.%")).order_by(AuditEntry.id).output(load_json=True).run()
    assert [row["action"] for row in created] == ["org.city.create", "org.district.create", "org.district.create", "org.station.create", "org.station.create", "org.community.create", "org.community.create"]
    assert created[-2]["object_id"] == str(ids["xiguan"]) and created[-2]["after"]["name_zh"] == "西关社区" and created[-2]["after"]["station"] == ids["nanguan"]
    # Parents before their children, each one level deeper.
    listed = [(unit["level"], unit["code"], unit["depth"]) for unit in await org.tree()]
    assert listed == [
        ("city", "xining", 0),
        ("district", "chengxi-d", 1),
        ("district", "chengzhong-d", 1),
        ("station", "libao", 2),
        ("station", "nanguan", 2),
        ("community", "nanchuan", 3),
        ("community", "xiguan", 3),
    ]


@pytest.mark.parametrize(
    "data, field",
    [
        (UnitData("community", "Bad Code!", "社区", parent_code="nanguan"), "code"),
        (UnitData("community", "x" * 41, "社区", parent_code="nanguan"), "code"),
        (UnitData("community", "xiguan", "又一个西关", parent_code="nanguan"), "code"),  # taken
        (UnitData("community", "new", "新社区"), "parent"),
        (UnitData("community", "new", "新社区", parent_code="nowhere"), "parent"),
        (UnitData("community", "new", "新社区", parent_code="chengzhong-d"), "parent"),  # a district is not a station
        (UnitData("community", "new", "  ", parent_code="nanguan"), "name_zh"),
        (UnitData("community", "new", "新社区", "x" * 101, parent_code="nanguan"), "name_en"),
        (UnitData("community", "new", "新社区", parent_code="nanguan", timezone="Mars/Olympus"), "timezone"),
        (UnitData("community", "new", "新社区", parent_code="nanguan", latitude=36.6), "centre"),
        (UnitData("community", "new", "新社区", parent_code="nanguan", latitude=136.6, longitude=101.7), "centre"),
        (UnitData("station", "new", "新所", parent_code="chengzhong-d", timezone="Asia/Shanghai"), "timezone"),
        (UnitData("city", "new", "新市局", parent_code="xining"), "parent"),
        (UnitData("town", "new", "镇"), "level"),
    ],
)
async def test_a_bad_unit_is_refused_at_its_field_and_nothing_is_written(database, data, field):
    await build_tree()
    before = await all_counts()
    with pytest.raises(OrgError) as refused:
        await org.create(None, data)
    assert refused.value.field == field
    assert await all_counts() == before


async def test_renaming_keeps_the_code_and_audits_before_and_after(database):
    ids = await build_tree()
    await org.rename(None, "community", "xiguan", name_en="Xiguan Street")
    row = await Community.select(Community.code, Community.name_zh, Community.name_en).where(Community.id == ids["xiguan"]).first().run()
    assert row == {"code": "xiguan", "name_zh": "西关社区", "name_en": "Xiguan Street"}
    entry = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "org.community.rename").first().output(load_json=True).run()
    assert entry["before"] == {"name_zh": "西关社区", "name_en": "Xiguan"} and entry["after"] == {"name_zh": "西关社区", "name_en": "Xiguan Street"}
    async with nothing_changes((Community, ids["xiguan"])):  # the same names again: no step, no audit row
        await org.rename(None, "community", "xiguan", name_en="Xiguan Street")
    async with nothing_changes((Community, ids["xiguan"])):
        with pytest.raises(OrgError, match="Chinese name"):
            await org.rename(None, "community", "xiguan", name_zh="")


async def test_moving_a_community_takes_it_to_the_other_stations_people(database, make_user):
    """The station head of the new station reaches the community moved to it; the old one no longer does."""
    from portal.accounts.rules import load_actor

    ids = await build_tree()
    old_head = await load_actor(await make_user("head", station_id=ids["nanguan"]))
    new_head = await load_actor(await make_user("head", station_id=ids["libao"]))
    assert ids["xiguan"] in old_head.communities("head") and ids["xiguan"] not in new_head.communities("head")
    await org.move(None, "community", "xiguan", "libao")
    old_head, new_head = await load_actor(old_head.id), await load_actor(new_head.id)
    assert ids["xiguan"] not in old_head.communities("head") and ids["xiguan"] in new_head.communities("head")
    officer = await make_user("officer", community_id=ids["xiguan"])  # made before the move below
    # The officer's grant follows its community: the user list's station filter reads it.
    await org.move(None, "community", "xiguan", "nanguan")
    grant = await RoleGrant.select(RoleGrant.id, RoleGrant.station).where(RoleGrant.user == officer).first().run()
    assert grant["station"] == ids["nanguan"]
    await org.move(None, "community", "xiguan", "libao")
    grant = await RoleGrant.select(RoleGrant.id, RoleGrant.station).where(RoleGrant.user == officer).first().run()
    assert grant["station"] == ids["libao"]
    entry = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "org.community.move").order_by(AuditEntry.id, ascending=False).first().output(load_json=True).run()
    assert entry["before"] == {"station": ids["nanguan"]} and entry["after"] == {"station": ids["libao"], "role_grants": [grant["id"]]}
    async with nothing_changes((Community, ids["xiguan"])):
        with pytest.raises(OrgError) as refused:
            await org.move(None, "community", "xiguan", "chengxi-d")  # a district, not a station
    assert refused.value.field == "parent"


async def test_retiring_keeps_the_unit_and_its_history_and_offers_it_for_nothing_new(database):
    ids = await build_tree()
    # A station with communities still active under it is refused, and nothing changes.
    async with nothing_changes((Station, ids["nanguan"])):
        with pytest.raises(OrgError, match="2 active units"):
            await org.retire(None, "station", "nanguan")
    await org.retire(None, "community", "nanchuan")
    await org.move(None, "community", "xiguan", "libao")
    await org.retire(None, "station", "nanguan")
    counts = await all_counts()
    assert counts["community"] == 2 and counts["station"] == 2  # retired, not deleted
    assert (await Station.select(Station.retired_at).where(Station.id == ids["nanguan"]).first().run())["retired_at"] is not None
    assert [unit["code"] for unit in await org.tree() if unit["level"] in ("station", "community")] == ["libao", "xiguan"]
    assert {unit["code"] for unit in await org.tree(include_retired=True)} >= {"nanguan", "nanchuan"}
    assert ids["nanchuan"] not in {choice for choice, _label in await community_choices()}
    assert ids["nanguan"] not in {choice for choice, _label in await station_choices()}
    # Nothing new goes under a retired unit, and a retired unit is not moved.
    before = await all_counts()
    with pytest.raises(OrgError, match="retired"):
        await org.create(None, UnitData("community", "new", "新社区", parent_code="nanguan"))
    with pytest.raises(OrgError, match="retired"):
        await org.move(None, "community", "nanchuan", "libao")
    assert await all_counts() == before
    retirements = await AuditEntry.count().where(AuditEntry.action.like("org.%.retire")).run()
    await org.retire(None, "community", "nanchuan")  # again: nothing to do
    assert await AuditEntry.count().where(AuditEntry.action.like("org.%.retire")).run() == retirements == 2


async def test_two_units_with_one_code_at_once_give_one(database):
    import asyncio

    await build_tree()
    outcomes = await asyncio.gather(
        *(org.create(None, UnitData("community", "twin", f"双{n}", parent_code="nanguan")) for n in range(4)), return_exceptions=True
    )
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1
    assert all(isinstance(outcome, (int, OrgError)) for outcome in outcomes), outcomes
    assert await Community.count().where(Community.code == "twin").run() == 1


async def test_the_org_command_builds_lists_renames_moves_and_retires(settings, database):
    environment = {"PORTAL_DATABASE_URL": settings.database_url}
    steps = [
        ("add", "city", "xining", "--zh", "西宁市公安局", "--en", "Xining PSB"),
        ("add", "district", "cz", "--zh", "城中分局", "--parent", "xining"),
        ("add", "station", "nanguan", "--zh", "南关派出所", "--parent", "cz"),
        ("add", "station", "libao", "--zh", "礼堡派出所", "--parent", "cz"),
        ("add", "community", "xiguan", "--zh", "西关社区", "--parent", "nanguan", "--timezone", "Asia/Shanghai", "--centre", "36.62,101.77"),
        ("rename", "community", "xiguan", "--en", "Xiguan"),
        ("move", "community", "xiguan", "--to", "libao"),
        ("retire", "station", "nanguan"),
    ]
    for step in steps:
        result = portal("org", *step, env_extra=environment)
        assert result.returncode == 0, (step, result.stderr)
    listed = portal("org", "list", env_extra=environment).stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [["city", "xining"], ["district", "cz"], ["station", "libao"], ["community", "xiguan"]]
    assert listed[3].startswith("      community") and "Asia/Shanghai" in listed[3] and "西关社区 / Xiguan" in listed[3]
    assert "nanguan" in portal("org", "list", "--retired", env_extra=environment).stdout
    refused = portal("org", "add", "community", "xiguan", "--zh", "重复", "--parent", "libao", env_extra=environment)
    assert refused.returncode == 1 and "code: The code xiguan is taken." in refused.stderr
    bad_centre = portal("org", "add", "community", "new", "--zh", "新", "--parent", "libao", "--centre", "north", env_extra=environment)
    assert bad_centre.returncode == 1 and "LATITUDE,LONGITUDE" in bad_centre.stderr


async def test_the_demo_station_sits_in_a_district_of_a_city(database):
    from portal.demo import seed_demo

    await seed_demo()
    station = await Station.select(Station.code, Station.district.code, Station.district.city.code).first().run()
    assert station == {"code": "chengzhong", "district.code": "chengzhong-district", "district.city.code": "xining"}


async def test_refusals_read_in_the_readers_language(database):
    from portal.web import i18n

    await build_tree()
    token = i18n.activate("zh_CN")
    try:
        with pytest.raises(OrgError) as unknown:
            await org.create(None, UnitData("community", "new", "新社区", parent_code="nowhere"))
        with pytest.raises(OrgError) as busy:
            await org.retire(None, "station", "nanguan")
    finally:
        i18n.restore(token)
    assert unknown.value.message == "没有代码为 nowhere 的派出所。"
    assert busy.value.message == "nanguan 下还有 2 个在用的单位：请先将其撤销或移走。"


# --- The administrator's pages ------------------------------------------------------------


async def test_the_administrator_builds_the_tree_on_the_pages(client_for, area):
    admin, admin_id = await client_for("admin")
    home = await admin.get("/")
    assert 'href="/admin/org/"' in home.text
    for form in (
        {"level": "city", "code": "xining", "name_zh": "西宁市公安局", "name_en": "Xining PSB", "parent": ""},
        {"level": "district", "code": "cz", "name_zh": "城中分局", "name_en": "", "parent": "xining"},
    ):
        created = await post_form(admin, "/admin/org/new", form)
        assert created.status_code == 303 and created.headers["location"] == f"/admin/org/{form['level']}/{form['code']}?saved=1"
    moved = await post_form(admin, "/admin/org/station/chengzhong/move", {"parent": "cz"})
    assert moved.status_code == 303
    community = await post_form(admin, "/admin/org/new", {
        "level": "community", "code": "xiguan", "name_zh": "西关社区", "name_en": "Xiguan", "parent": "chengzhong",
        "timezone": "Asia/Urumqi", "latitude": "36.62", "longitude": "101.77",
    })
    assert community.status_code == 303
    row = await Community.select(Community.station, Community.timezone, Community.latitude).where(Community.code == "xiguan").first().run()
    assert row == {"station": area.station_id, "timezone": "Asia/Urumqi", "latitude": 36.62}
    audit = await AuditEntry.select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.action.like("org.%")).order_by(AuditEntry.id).run()
    assert [entry["action"] for entry in audit] == ["org.city.create", "org.district.create", "org.station.move", "org.community.create"]
    assert {entry["actor"] for entry in audit} == {admin_id}
    tree = (await admin.get("/admin/org/")).text
    assert tree.index("Xining PSB") < tree.index("城中分局") < tree.index("城中派出所 EN") < tree.index(">Xiguan<")  # an empty English name shows the Chinese one
    assert 'class="indent-3"><a href="/admin/org/community/xiguan">' in tree
    page = await admin.get("/admin/org/station/chengzhong")
    assert page.status_code == 200 and 'href="/admin/org/new?level=community&amp;parent=chengzhong"' in page.text


async def test_bad_input_on_the_pages_comes_back_next_to_its_field_and_saves_nothing(client_for, area):
    admin, _ = await client_for("admin")
    before = await all_counts()
    taken = await post_form(admin, "/admin/org/new", {"level": "community", "code": "a", "name_zh": "重复", "parent": "chengzhong", "timezone": "Asia/Shanghai"})
    assert taken.status_code == 422 and field_error(taken.text, "code") == "The code a is taken."
    assert 'value="重复"' in taken.text  # the input comes back
    zone = await post_form(admin, "/admin/org/new", {"level": "community", "code": "new", "name_zh": "新", "parent": "chengzhong", "timezone": "Mars/Base"})
    assert zone.status_code == 422 and field_error(zone.text, "timezone") == "Mars/Base is not a time zone (e.g. Asia/Shanghai)."
    half = await post_form(admin, "/admin/org/new", {"level": "community", "code": "new", "name_zh": "新", "parent": "chengzhong", "latitude": "36.6"})
    assert half.status_code == 422 and "latitude and the longitude" in field_error(half.text, "latitude")
    nameless = await post_form(admin, "/admin/org/community/a/rename", {"name_zh": "", "name_en": "A"})
    assert nameless.status_code == 422 and field_error(nameless.text, "name_zh") == "Give the Chinese name."
    unconfirmed = await post_form(admin, "/admin/org/community/a/retire", {})
    assert unconfirmed.status_code == 422 and field_error(unconfirmed.text, "confirm")
    busy = await post_form(admin, "/admin/org/station/chengzhong/retire", {"confirm": "y"})
    assert busy.status_code == 422 and "still has 2 active units" in field_error(busy.text, "confirm")
    wrong_level = await post_form(admin, "/admin/org/community/a/move", {"parent": "a"})
    assert wrong_level.status_code == 422 and field_error(wrong_level.text, "parent")
    assert await all_counts() == before
    assert (await admin.get("/admin/org/town/a")).status_code == 404
    assert (await admin.get("/admin/org/community/nowhere")).status_code == 404


async def test_a_retired_community_is_shown_as_retired_and_offered_no_more(client_for, area):
    admin, _ = await client_for("admin")
    assert (await post_form(admin, "/admin/org/community/b/retire", {"confirm": "y"})).status_code == 303
    page = await admin.get("/admin/org/community/b")
    assert "Retired on" in page.text and "/retire" not in page.text and "/move" not in page.text
    assert "Community B" not in (await admin.get("/admin/org/")).text
    assert "Community B" in (await admin.get("/admin/org/?retired=true")).text
    new_user = await admin.get("/admin/users/new")
    assert "Community B" not in new_user.text and "Community A" in new_user.text


async def test_the_administrator_and_the_head_are_told_which_communities_have_no_officer(client_for, make_user, area):
    """Community B has no officer; A's officer is deactivated at one point; C is another station's."""
    officer_a = await make_user("officer", community_id=area.community_id)
    admin, _ = await client_for("admin")
    head, _ = await client_for("head")  # of the first station: A and B
    officer, _ = await client_for("officer", community_id=area.community_id)

    def named(page) -> list[str]:
        card = re.search(r'<section class="card alert" aria-labelledby="without-officer-heading">.*?</section>', page.text, re.S)
        return re.findall(r"<li>([^<]+?) <span", card.group(0)) if card else []

    # Community A has two officers (officer_a and the logged-in one); B none; C none.
    assert named(await admin.get("/")) == ["Community B", "Community C"]
    assert named(await head.get("/")) == ["Community B"]
    assert named(await officer.get("/")) == []  # officers are not told
    await make_user("officer", community_id=area.other_community_id)
    assert named(await admin.get("/")) == ["Community C"]
    # Deactivated officers count as none.
    officers_of_a = [row["user"] for row in await RoleGrant.select(RoleGrant.user).where((RoleGrant.community == area.community_id) & (RoleGrant.role == "officer")).run()]
    assert officer_a in officers_of_a
    await User.update({User.active: False}).where(User.id.is_in(officers_of_a)).run()
    assert named(await admin.get("/")) == ["Community A", "Community C"]


async def test_a_units_page_names_the_unit_it_belongs_to_and_offers_it_first(client_for, area):
    admin, _ = await client_for("admin")
    page = await admin.get("/admin/org/community/a")
    assert '<dt>Belongs to</dt><dd><a href="/admin/org/station/chengzhong">城中派出所 EN</a></dd>' in page.text
    assert '<option selected value="chengzhong">' in page.text or '<option value="chengzhong" selected>' in page.text
