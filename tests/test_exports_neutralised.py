"""Every export (CSV and XLSX) keeps as text what a spreadsheet would run: one function,
``portal.web.xlsx.safe_text``, quotes = + - @ at the start, behind leading spaces too,
and a tab or carriage return first (OWASP's CSV injection list)."""

import csv
import io
import re

from openpyxl import load_workbook

from portal.accounts.tables import User
from portal.settings import ROOT
from portal.shifts import rules
from portal.shifts.tables import Signup
from portal.web.xlsx import safe_text
from tests.test_shifts_routes import a_shift

HOSTILE = ["=1+1", "+1+1", "-1+1", "@SUM(1)", "\t=1+1", "\r=1+1", "\n=1+1", "  =1+1", " \t@SUM(1)"]
HARMLESS = ["王五", "Wang Wu", "1+1", "a=b", "", "O'Brien"]


def test_the_one_neutraliser_quotes_formula_and_control_prefixes():
    assert [safe_text(value) for value in HOSTILE] == ["'" + value for value in HOSTILE]
    assert [safe_text(value) for value in HARMLESS] == HARMLESS
    assert safe_text(None) is None and safe_text(3) == 3


def test_no_export_has_a_neutraliser_of_its_own():
    """The review, ledger, hours, reception and import exports call the one function;
    a second copy is how the hours export came to miss tab, CR and leading spaces."""
    own = re.compile(r"""["']'["']\s*\+""")  # prefixing a quote: "'" + value
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "portal").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if own.search(line) and path.name != "xlsx.py"
    ]
    assert found == []


async def test_the_hours_exports_keep_hostile_names_as_text(client_for, area, make_volunteer):
    """Names can arrive unstripped (imports, older rows): each is quoted in CSV and XLSX."""
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id)
    now = rules.utcnow()
    for name in HOSTILE:
        user = await make_volunteer()
        await User.update({User.real_name: name}).where(User.id == user).run()
        await Signup.insert(Signup(shift=shift, user=user, status="active", queued_at=now, updated_at=now)).run()
    month = now.astimezone(rules.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    exported = await officer.get(f"/shifts/manage/{area.community_id}/hours.csv?month={month}")
    names = [line[0] for line in csv.reader(io.StringIO(exported.text.lstrip("\ufeff"), newline=""))][1:]
    assert sorted(names) == sorted("'" + name for name in HOSTILE)
    book = load_workbook(io.BytesIO((await officer.get(f"/shifts/manage/{area.community_id}/hours.xlsx?month={month}")).content))
    cells = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    # (XML reads a carriage return back as a line feed.)
    assert sorted(cells) == sorted("'" + name.replace("\r", "\n") for name in HOSTILE)
