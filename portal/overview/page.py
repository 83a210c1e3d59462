"""What the overview shows of the figures: the lines of each section with the period,
the one before, the change and a 12-period chart; the 4S panels (safe, spread, speed,
satisfaction); the comparison of the units below; and the same as a workbook."""

from __future__ import annotations

from xml.sax.saxutils import escape

from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_percent

from portal.bulletins.render import COUNT_LABELS, change, number
from portal.ledger.labels import LEDGERS as LEDGER_LABELS
from portal.ledger.labels import SOURCES as SOURCE_LABELS
from portal.ledger.figures import overdue_by_officer
from portal.overview.figures import TREND, Figures, Span, by_ledger_and_source, collect, trend_periods
from portal.overview.snapshots import Counted, counted_or_kept, key_of
from portal.stations.rules import communities_by_id, part_column, part_names, parts_level
from portal.reception.counters import COUNTER_LABELS
from portal.web.i18n import N_, babel_locale, format_plain_day, localized
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext, pgettext
from portal.web.periods import Period, preset_period

LABELS = {
    **COUNT_LABELS,
    **COUNTER_LABELS,
    "active_volunteers": N_("Active volunteers"),
    "volunteer_hours": N_("Volunteer hours"),
    "mediations_resolved": N_("Mediations resolved"),
    "points_verified": N_("Watch point verifications"),
    "boards_printed": N_("Contact boards printed or replaced"),
    "bulletins_published": N_("Bulletins published"),
    "messages_received": N_("Public messages received"),
    "messages_answered": N_("Public messages answered"),
    "messages_filed": N_("Public messages filed into a ledger"),
    "satisfied_by_person": N_("Satisfied, by the person's own answer"),
    "satisfied_by_callback": N_("Satisfied, by a callback"),
    "closed_unconfirmed": N_("Closed without confirmation"),
    "not_satisfied": N_("Answers \"not satisfied\""),
    "callbacks": N_("Callbacks recorded"),
    "referrals_sent": N_("Referrals sent"),
    "referrals_answered": N_("Referrals answered"),
    "median_close_days": N_("Median days to close"),
    "satisfaction_rate": N_("Satisfaction rate (%)"),
    "reception_visits": N_("Reception visits logged"),
    "points_open": N_("Watch points open (verified)"),
    "boards_in_place": N_("Contact boards in place"),
    "open_items": N_("Ledger items open"),
    "overdue": N_("Ledger items overdue"),
    "care_visits": N_("Home visits made"),
    "care_visits_help": N_("Home visits that found a need"),
    "care_people": N_("People on the care registers"),
    "care_overdue": N_("Home visits overdue"),
    "followups_due": N_("Mediation follow-ups due"),
    "followups_done": N_("Mediation follow-ups done"),
    "followups_overdue": N_("Mediation follow-ups overdue"),
    "followups_held": N_("Follow-ups: agreement held"),
    "followups_relapsed": N_("Follow-ups: dispute broke out again"),
    "followups_referred": N_("Follow-ups: referred on"),
    "notices_issued": N_("Rectification notices issued"),
    "notices_fixed": N_("Rectification notices fixed"),
    "notices_overdue": N_("Rectification notices overdue"),
    "sessions_held": N_("Sessions with citizens held (进建商)"),
    "representatives_attending": N_("Representatives who came"),
    "resolutions_decided": N_("Resolutions decided"),
    "resolutions_done": N_("Resolutions done"),
    "pairings_made": N_("Pairings made (联访解)"),
    "pairing_contacts": N_("Contacts with paired units and people"),
    "opinions_collected": N_("Opinions collected"),
    "opinions_solved": N_("Opinions solved"),
}
SECTIONS = (
    ("volunteers", N_("Volunteers and patrols"), ("active_volunteers", "volunteer_hours", "patrols", "patrol_hours")),
    ("hazards", N_("Hazards"), ("hazards_found", "hazards_fixed", "hazards_verified")),
    ("people", N_("Mediation and help"), ("mediations", "mediations_resolved", "help_given", "people_helped")),
    ("followups", N_("Follow-ups and rectification"), (
        "followups_due", "followups_done", "followups_overdue", "followups_held", "followups_relapsed", "followups_referred",
        "notices_issued", "notices_fixed", "notices_overdue",
    )),
    ("spread", N_("Publicity, watch points, boards and bulletins"), ("publicity_sessions", "publicity_audience", "points_verified", "boards_printed", "bulletins_published")),
    ("public", N_("Public messages"), ("messages_received", "messages_answered", "messages_filed")),
    ("ledger", N_("The three ledgers"), (
        "ledger_filed", "ledger_closed", "satisfaction_rate", "satisfied_by_person", "satisfied_by_callback", "not_satisfied", "closed_unconfirmed",
        "callbacks", "referrals_sent", "referrals_answered", "median_close_days",
    )),
    ("reception", N_("Reception rooms"), (
        "people_received", "consultations_help", "disputes_resolved", "emergency_rescues", "errands", "convenience", "business", "foreign_visitors", "reception_visits",
    )),
    ("care", N_("Home visits to people who need care"), ("care_visits", "care_visits_help")),
    ("outreach", N_("Citizens invited in and officers paired with them (进建商, 联访解)"), (
        "sessions_held", "representatives_attending", "resolutions_decided", "resolutions_done", "pairings_made", "pairing_contacts", "opinions_collected", "opinions_solved",
    )),
)
# The "4S" of a community police office (王莉警务室): 安全 safe, 传播 spread, 速度 speed,
# 满意 satisfaction. Period figures, then what stands now.
FOUR_S = (
    ("safe", _lp("4S", "Safe"), ("hazards_found", "hazards_fixed", "patrols", "mediations_resolved"), ()),
    ("spread", _lp("4S", "Spread"), ("publicity_sessions", "publicity_audience", "active_volunteers", "bulletins_published"), ("points_open", "boards_in_place")),
    ("speed", _lp("4S", "Speed"), ("median_close_days", "ledger_closed", "messages_answered"), ("overdue",)),
    ("satisfaction", _lp("4S", "Satisfaction"), ("satisfaction_rate", "satisfied_by_person", "satisfied_by_callback", "closed_unconfirmed"), ()),
)
FOUR_S_HINTS = {
    "safe": N_("Hazards found and fixed, patrols walked, disputes settled."),
    "spread": N_("Who hears of the work: publicity, volunteers, safe places, contact boards, bulletins."),
    "speed": N_("How fast matters close, and what is late now."),
    "satisfaction": N_("Whether the people who raised a matter are satisfied."),
}
# What stands now, shown under a section's lines: counts, never a person.
SECTION_NOW = {"care": ("care_people", "care_overdue")}
# The columns of the comparison of the units below (the period asked for; the last two stand now).
COMPARED = ("active_volunteers", "patrols", "hazards_found", "hazards_fixed", "mediations", "people_helped", "ledger_filed", "ledger_closed", "satisfaction_rate", "median_close_days")
COMPARED_NOW = ("open_items", "overdue")
# Lower is better for these: the change is marked the other way round.
LOWER_IS_BETTER = ("median_close_days", "closed_unconfirmed", "not_satisfied", "overdue", "followups_overdue", "followups_relapsed", "notices_overdue")


def rates(values: dict[str, list]) -> list:
    """The satisfaction rate per period: proven satisfied answers (the person's own and
    callbacks) over those plus the answers "not satisfied"; None without any answer."""
    out = []
    for n in range(TREND):
        satisfied = values.get("satisfied_by_person", [0] * TREND)[n] + values.get("satisfied_by_callback", [0] * TREND)[n]
        answered = satisfied + values.get("not_satisfied", [0] * TREND)[n]
        out.append(round(100 * satisfied / answered, 1) if answered else None)
    return out


def with_rates(figures: Figures) -> None:
    figures.series["satisfaction_rate"] = rates(figures.series)
    for values in figures.parts.values():
        values["satisfaction_rate"] = rates(values)


def period_label(period: Period) -> str:
    """A period as the reader says it: "Dec 2026", "2026 Q4", "2026", "7 Dec"."""
    skeleton = {"month": "yMMM", "quarter": "yQQQ", "year": "y"}.get(period.preset)
    if skeleton:
        return format_skeleton(skeleton, period.first, locale=babel_locale())
    first = format_plain_day(period.first)
    if period.days == 1:
        return first
    return f"{first}–{format_plain_day(period.last)}"


def shown(value) -> str:
    return "–" if value is None else number(value)


def chart(values: list, labels: list[str], title: str, chart_id: str) -> str:
    """Twelve periods as bars, drawn on the server: readable without JavaScript and in
    print; the title, each bar's period and value, and a description for screen readers."""
    width, height, gap = 180, 40, 3
    bar = (width - gap * (len(values) - 1)) / max(len(values), 1)
    top = max([v for v in values if v is not None] or [0]) or 1
    bars = []
    for n, (value, label) in enumerate(zip(values, labels)):
        h = 0 if not value else max(1.5, (height - 2) * value / top)
        current = ' class="now"' if n == len(values) - 1 else ""
        bars.append(f'<rect{current} x="{n * (bar + gap):.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)}: {escape(shown(value))}</title></rect>')
    description = _("From %(first)s to %(last)s: %(values)s", first=labels[0], last=labels[-1], values=", ".join(shown(v) for v in values))
    # Outside the f-string, where the catalogue's extractor finds it.
    heading = ngettext("%(what)s, the last %(count)s period", "%(what)s, the last %(count)s periods", len(values), what=title, count=len(values))
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(heading)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>{"".join(bars)}</svg>'
    )


def line(figures: Figures, metric: str, labels: list[str]) -> dict:
    values = figures.series.get(metric, [0] * TREND)
    this, before = values[-1], values[-2]
    delta = change(this, before) if this is not None and before is not None else {"sign": "same", "text": "–"}
    if metric in LOWER_IS_BETTER and delta["sign"] != "same":
        delta = delta | {"better": delta["sign"] == "down"}
    elif delta["sign"] != "same":
        delta = delta | {"better": delta["sign"] == "up"}
    percent = None
    if this is not None and before:
        ratio = (this - before) / before
        # The same minus sign as the change itself; the percent sign where the reader's language puts it.
        percent = ("+" if ratio > 0 else "−" if ratio < 0 else "") + format_percent(abs(round(ratio, 2)), locale=babel_locale())
    return {
        "key": metric, "label": _(LABELS[metric]), "this": shown(this), "before": shown(before), "change": delta, "percent": percent,
        "chart": chart(values, labels, _(LABELS[metric]), f"chart-{metric}"),
    }


# Sections whose figures of the period are also split by the units below, under their lines.
SECTION_PARTS = {"outreach": next(metrics for key, _title, metrics in SECTIONS if key == "outreach")}


def section_parts(figures: Figures, units: dict, key: str) -> dict | None:
    """A section's figures of the period per unit one level below, and their total."""
    metrics = SECTION_PARTS.get(key)
    if not metrics:
        return None
    rows = []
    for part in sorted(figures.parts, key=lambda p: (p is None, (units.get(p) or {}).get("code", ""))):
        values = [figures.parts[part].get(m, [0] * TREND)[-1] for m in metrics]
        if any(values):
            rows.append({"name": localized(units[part], "name") if part in units else _("No district yet"), "values": values})
    return {"columns": [_(LABELS[m]) for m in metrics], "rows": rows, "totals": [figures.series.get(m, [0] * TREND)[-1] for m in metrics]}


def view(figures: Figures, units: dict, overdue: list[dict], breakdown: dict) -> dict:
    """The page's context from the figures (in the reader's language)."""
    with_rates(figures)
    labels = [period_label(p) for p in figures.periods]
    sections = [
        {"key": key, "title": _(title), "lines": [line(figures, m, labels) for m in metrics],
         "now": [{"label": _(LABELS[m]), "value": number(figures.now.get(m, 0))} for m in SECTION_NOW.get(key, ())]}
        for key, title, metrics in SECTIONS
    ]
    for section in sections:
        section["parts"] = section_parts(figures, units, section["key"])
    four = []
    for key, title, metrics, standing in FOUR_S:
        four.append({
            "key": key, "title": str(title), "hint": _(FOUR_S_HINTS[key]),
            "lines": [line(figures, m, labels) for m in metrics],
            "now": [{"label": _(LABELS[m]), "value": number(figures.now.get(m, 0))} for m in standing],
        })
    parts = []
    for part in sorted(set(figures.parts) | set(figures.now_parts), key=lambda p: (p is None, (units.get(p) or {}).get("code", ""))):
        values = figures.parts.get(part, {})
        now = figures.now_parts.get(part, {})
        parts.append({
            "name": localized(units[part], "name") if part in units else _("No district yet"),
            "code": (units.get(part) or {}).get("code", ""),
            "values": [values.get(m, [None] * TREND)[-1] for m in COMPARED] + [now.get(m, 0) for m in COMPARED_NOW],
        })
    totals = [figures.series.get(m, [0] * TREND)[-1] for m in COMPARED] + [figures.now.get(m, 0) for m in COMPARED_NOW]
    return {
        "period_labels": labels, "sections": sections, "four": four,
        "compared": [_(LABELS[m]) for m in (*COMPARED, *COMPARED_NOW)], "parts": parts, "totals": totals,
        "overdue": overdue, "breakdown": breakdown, "ledger_names": LEDGER_LABELS, "source_names": SOURCE_LABELS,
        "now": {m: figures.now.get(m, 0) for m in ("points_open", "boards_in_place", "open_items", "overdue", "care_people", "care_overdue")},
    }


def workbook(figures: Figures, context: dict, period: Period) -> bytes:
    """The overview as an XLSX for Excel and WPS: the figures with the 12 periods, the
    units compared, the ledgers by ledger and source, overdue per owner, the period."""
    from portal.web.xlsx import Sheet, safe_text, workbook_bytes

    labels = context["period_labels"]
    figure_rows = []
    for section in SECTIONS:
        for metric in section[2]:
            values = figures.series.get(metric, [0] * TREND)
            figure_rows.append([_(section[1]), _(LABELS[metric]), *values])
    for metric, value in context["now"].items():
        figure_rows.append([_("Now"), _(LABELS[metric]), *([None] * (TREND - 1)), value])
    unit_rows = [[safe_text(p["name"]), p["code"], *p["values"]] for p in context["parts"]]
    unit_rows.append([_("Total"), "", *context["totals"]])
    breakdown = context["breakdown"]
    ledger_rows = [[_(LEDGER_LABELS[k]), v["filed"], v["closed"], v["satisfied"]] for k, v in breakdown["ledgers"].items() if k in LEDGER_LABELS]
    source_rows = [[_(SOURCE_LABELS[k]), v["filed"], v["closed"], v["satisfied"]] for k, v in breakdown["sources"].items() if k in SOURCE_LABELS]
    counts = ["int", "int", "int"]
    return workbook_bytes([
        Sheet(_("Figures"), [_("Section"), _("Figure"), *labels], figure_rows, ["text", "text", *["number"] * TREND]),
        Sheet(_("By %(level)s", level=context["level_name"]), [_("Unit"), _("Code"), *context["compared"]], unit_rows, ["text", "code", *["number"] * len(context["compared"])], bold_last_row=True),
        Sheet(_("By ledger"), [_("Ledger"), pgettext("how many", "Filed"), pgettext("how many", "Closed"), _("Closed, satisfied")], ledger_rows, ["text", *counts]),
        Sheet(_("By source"), [_("Source"), pgettext("how many", "Filed"), pgettext("how many", "Closed"), _("Closed, satisfied")], source_rows, ["text", *counts]),
        Sheet(_("Overdue by officer"), [_("Officer"), _("Overdue")], [[safe_text(r["officer"]) or _("Nobody yet"), r["count"]] for r in context["overdue"]], ["text", "int"]),
        Sheet(_("Period"), [_("First day"), _("Last day")], [[period.first, period.last]], ["date", "date"]),
    ])


def level_of(actor) -> str | None:
    """The head level whose parts the figures are split by: an officer's by community
    (as a station head's), an administrator's by city."""
    if actor.head_level:
        return actor.head_level
    return None if actor.has("admin") else "station"


async def area_names(actor, level: str | None) -> list[str]:
    """The names of the units the actor heads (their station, district or city), or of
    an officer's communities."""
    if level is None:
        return [_("Every city")]
    role, column = {"city": ("city_head", "city_id"), "district": ("district_head", "district_id"), "station": ("head", "station_id")}[level]
    ids = sorted({getattr(g, column) for g in actor.grants if g.role == role and getattr(g, column)})
    if not ids:
        return [localized(row, "name") for row in await communities_by_id(actor.communities("officer"))]
    names = await part_names(level, ids)
    return [localized(names[i], "name") for i in ids if i in names]


async def overview_of(actor, period: Period, zone: str, moment, fresh: bool = False) -> tuple[Figures, dict]:
    """The figures of the communities ``actor`` reaches for ``period`` and the eleven
    before it, split by the units one level below their level, and the page's context
    (``counted_at``: when a kept count was counted, None when counted now). ``fresh``:
    count now even if a recent count was kept."""
    level = level_of(actor)
    scope = actor.communities("officer", "head")
    periods = trend_periods(period)

    async def count() -> Counted:
        figures = await collect(scope, part_column(level), Span(periods, zone), moment)
        return Counted(figures, await overdue_by_officer(actor, moment), await by_ledger_and_source(scope, period, zone))

    counted = await counted_or_kept(key_of(level, scope, period, zone), periods, moment, count, fresh)
    figures = counted.figures
    units = await part_names(parts_level(level), [p for p in set(figures.parts) | set(figures.now_parts) if p is not None])
    return figures, view(figures, units, counted.overdue, counted.breakdown) | {"counted_at": counted.counted_at}


async def glance(actor, zone: str, moment) -> list[dict]:
    """The head's home: this month's first line of each 4S panel."""
    today = moment.astimezone(ZoneInfo(zone)).date()
    _figures, context = await overview_of(actor, preset_period("month", today), zone, moment)
    return [{"title": panel["title"], "line": panel["lines"][0]} for panel in context["four"]]
