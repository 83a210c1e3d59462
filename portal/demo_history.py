"""A year of demo history in every community of the demo city: volunteers, patrol shifts
with their sign-ups and hours, field logs of every kind, public messages and ledger items
at every stage with their timelines, callbacks, referrals and escalations.

The shapes are the point, not the single records: communities of different sizes, more
of everything in summer (and fire hazards and fraud in winter), 东门社区 clearly improving
over the year and 南滩西社区 (no officer of its own; the station head holds its items)
lagging, so that the heads' overview and its trends, the bulletins, the ledger's search
and saved views have something real to show on the first start. Every draw comes from
one seeded generator and every date is counted back from now: the same demo each time,
always current.

The rows go in through ``portal.db.insert_many``, a statement per table, not through the
rules one audited action at a time (thousands of them would take a minute), but they are
what the rules would have written: the ledger's stored month keys and days to close,
deadlines in working days and their escalations, callbacks by someone other than the
accountable officer, hazards re-inspected by someone other than the reporter, hours from
check-in and check-out. One audit row records the load. Each feature's part lives in its
own ``demo.py`` (``history_*``); this module holds what they share.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.accounts.rules import now

SEED = 17
DAYS = 365
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Profile:
    """How a community's year went: its size against 西关 (1.0), its direction
    ("steady", "improving", "lagging"), the streets and compounds its records name
    (Chinese, English), its accountable officer (None: the station head) and how many
    volunteers it has besides the named demo accounts."""

    code: str
    size: float
    trend: str
    streets: tuple[tuple[str, str], ...]
    compounds: tuple[str, ...]
    officer: str | None
    head: str
    volunteers: int
    english: float = 0.0  # the share of matters raised in English (foreign residents, visitors)


PROFILES = (
    Profile("xiguan", 1.0, "steady", (("西关大街", "Xiguan Street"), ("南关街", "Nanguan Street"), ("光明巷", "Guangming Lane"), ("西关菜市场", "Xiguan Market")),
            ("西关小区", "光明巷小区", "西关大街 18 号院"), "officer", "head", 28, english=0.08),
    Profile("dongmen", 0.6, "improving", (("东关大街", "Dongguan Street"), ("清真巷", "Qingzhen Lane"), ("东门广场", "Dongmen Square")),
            ("东门小区", "东关花园"), "officer2", "head", 18, english=0.03),
    Profile("nanshan", 0.35, "steady", (("南山路", "Nanshan Road"), ("南山东路", "Nanshan East Road"), ("凤凰山路", "Fenghuangshan Road")),
            ("南山小区", "凤凰苑"), None, "head", 9),
    Profile("nantan-east", 0.75, "steady", (("南滩街", "Nantan Street"), ("南滩东路", "Nantan East Road"), ("电力巷", "Dianli Lane")),
            ("电力小区", "南滩新村"), "officer3", "head2", 20),
    Profile("nantan-west", 0.45, "lagging", (("南滩西路", "Nantan West Road"), ("兴海路", "Xinghai Road"), ("南川西路", "Nanchuan West Road")),
            ("南滩西小区", "兴海家园"), None, "head2", 13),
    Profile("shengli", 0.9, "steady", (("胜利路", "Shengli Road"), ("五四大街", "Wusi Street"), ("西门口", "Ximenkou")),
            ("胜利小区", "五四花园", "胜利路 9 号院"), "officer4", "head3", 26, english=0.05),
    Profile("hutai", 0.5, "steady", (("虎台南路", "Hutai South Road"), ("虎台北路", "Hutai North Road"), ("海湖路", "Haihu Road")),
            ("虎台新村", "海湖家园"), None, "head3", 14),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉萍红梅鑫斌宇浩凯健俊帆志华慧建国新亮琳晨雪峰飞鹏辉婷欣颖海波宁霖瑞晓东楠佳琪子涵雨欣睿博一诺思远文斌春燕永红德胜福海"
ENGLISH_NAMES = ("Anna Petrova", "David Lee", "Maria Garcia", "James Brown", "Aisha Khan", "Lukas Weber", "Sofia Rossi", "Kenji Sato", "Emma Wilson", "Omar Haddad")


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class Person:
    id: int
    name: str
    joined: dt.date
    weight: float
    left: dt.date | None = None
    named: bool = False  # a demo account of the README: never a no-show


class Shape:
    """The year before ``moment``: its local days, and how busy, slow and satisfied each
    community was on each of them."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment
        self.today = moment.astimezone(ZONE).date()
        self.first_day = self.today - dt.timedelta(days=DAYS - 1)

    def days(self):
        """Every local day of the year, oldest first."""
        for back in range(DAYS - 1, -1, -1):
            yield self.today - dt.timedelta(days=back)

    def at(self, day: dt.date, hours: float) -> dt.datetime:
        """The instant ``hours`` after the local midnight starting ``day``, in UTC."""
        return (dt.datetime.combine(day, dt.time(0), ZONE) + dt.timedelta(hours=hours)).astimezone(dt.timezone.utc)

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(ZONE).date()

    # --- the shape of the year ---

    def fraction(self, day: dt.date) -> float:
        """0 on the first day of the year, 1 today."""
        return (day - self.first_day).days / (DAYS - 1)

    @staticmethod
    @functools.lru_cache(maxsize=8192)
    def season(day: dt.date, amplitude: float = 0.3, peak: int = 196) -> float:
        """Around 1, highest on day ``peak`` of the year (196: mid-July, the tourist and
        long-evening season; 15: mid-January, heating and the Spring Festival)."""
        return 1 + amplitude * math.cos(2 * math.pi * (day.timetuple().tm_yday - peak) / 365.25)

    def activity(self, profile: Profile, day: dt.date) -> float:
        """How busy the community's people are against its size: growing where it improves,
        falling away where it lags, a little up everywhere as the portal took hold."""
        f = self.fraction(day)
        return {"improving": 0.5 + 0.9 * f, "lagging": 1.2 - 0.65 * f}.get(profile.trend, 0.9 + 0.2 * f)

    def slowness(self, profile: Profile, day: dt.date) -> float:
        """How long matters take against the usual (1.0)."""
        f = self.fraction(day)
        return {"improving": 1.9 - 1.3 * f, "lagging": 1.1 + 1.8 * f}.get(profile.trend, 1.0)

    def satisfied_odds(self, profile: Profile, day: dt.date) -> float:
        f = self.fraction(day)
        return {"improving": 0.7 + 0.25 * f, "lagging": 0.82 - 0.3 * f}.get(profile.trend, 0.88)

    def rate(self, profile: Profile, day: dt.date, per_month: float, amplitude: float = 0.3, peak: int = 196) -> float:
        """The expected count on ``day`` of something that happens ``per_month`` times a
        month in a community of size 1."""
        return per_month / 30.4 * profile.size * self.season(day, amplitude, peak) * self.activity(profile, day)


class History(Shape):
    """What the parts share while they build the year: the generator, the clock, the units
    and people, and the rows waiting to be written (table -> rows, in the order written)."""

    def __init__(self, moment: dt.datetime, rng: random.Random, communities: dict[str, dict], users: dict[str, dict], password_hash: str):
        super().__init__(moment)
        self.rng = rng
        self.communities = communities  # code -> id, code, station, name_zh, name_en
        self.users = users  # username -> id, username, real_name
        self.password_hash = password_hash
        self.volunteers: dict[str, list[Person]] = {}
        self.hosts: dict[str, list[tuple[int, int]]] = {}  # code -> (host id, point id)
        self.patrols: list[dict] = []  # shifts walked, for their patrol logs
        self.hazards: list[dict] = []  # accepted hazard logs, for the ledger
        self.rows: dict = {}
        self._ids: dict = {}
        self._names: set[str] = set()
        self._phones: set[str] = set()
        self._taken = [u["real_name"] for u in users.values() if u["real_name"]]

    # --- people, numbers, rows ---

    def person_name(self, english: bool = False) -> str:
        """A name not yet given, never one that holds (or is held in) a named demo account's
        name, so that the pages and tests that look for 张建国 find one."""
        while True:
            if english:
                name = self.rng.choice(ENGLISH_NAMES) + ("" if self.rng.random() < 0.5 else f" {self.rng.choice('ABCDEFGHJKLMNPRSTW')}.")
            else:
                name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            if name in self._names or any(name in other or other in name for other in self._taken):
                continue
            self._names.add(name)
            return name

    def phone(self) -> str:
        while True:
            number = self.rng.choice(("139", "138", "137", "136", "135", "158", "186", "189")) + "".join(self.rng.choice("0123456789") for _ in range(8))
            if number not in self._phones:
                self._phones.add(number)
                return number

    def officer_of(self, profile: Profile) -> int:
        """Who reviews the community's logs and holds its items: its officer, else the head."""
        return self.users[profile.officer or profile.head]["id"]

    async def reserve(self, *tables) -> None:
        """Start numbering the rows of ``tables`` after their largest ids."""
        from portal.db import next_ids

        for table in tables:
            self._ids[table] = (await next_ids(table, 1)).start
            self.rows.setdefault(table, [])

    def add(self, table, **values) -> int:
        """A row to write; returns its id."""
        row_id = self._ids[table]
        self._ids[table] = row_id + 1
        self.rows[table].append({"id": row_id, **values})
        return row_id

    def add_plain(self, table, **values) -> None:
        """A row nothing points at (its id comes from the database)."""
        self.rows.setdefault(table, []).append(values)

    async def write(self) -> dict[str, int]:
        """Every row, table by table in the order first reserved or added; how many each."""
        from portal.db import insert_many

        counts = {}
        for table, rows in self.rows.items():
            for start in range(0, len(rows), 5000):
                await insert_many(table, rows[start:start + 5000])
            counts[table._meta.tablename] = len(rows)
        return counts


async def seed_history(moment: dt.datetime | None = None) -> dict[str, int]:
    """The year before ``moment`` (now) in every community; returns the rows written per table."""
    from portal.accounts.rules import hash_password
    from portal.accounts.tables import User
    from portal.audit.rules import record
    from portal.db import write_transaction
    from portal.demo import DEMO_PASSWORD
    from portal.ledger.demo_history import history_ledger
    from portal.logs.demo import history_logs
    from portal.shifts.demo import history_shifts
    from portal.stations.tables import Community
    from portal.volunteers.demo import history_volunteers

    moment = moment or now()
    communities = {r["code"]: r for r in await Community.select(Community.id, Community.code, Community.station, Community.name_zh, Community.name_en).run()}
    users = {r["username"]: r for r in await User.select(User.id, User.username, User.real_name).run()}
    history = History(moment, random.Random(SEED), communities, users, hash_password(DEMO_PASSWORD))
    async with write_transaction():
        await history_volunteers(history)
        await history_shifts(history)
        await history_logs(history)
        await history_ledger(history)
        counts = await history.write()
        await record("demo.history", "demo", "", after={"rows": counts, "days": DAYS, "seed": SEED})
    return counts
