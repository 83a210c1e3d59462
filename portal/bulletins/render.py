"""A compiled bulletin in the reader's language: the headline, the sections for the page,
the SVG trend charts, the chat-group text, the Atom feed and the e-mails.

Everything here reads the stored figures; nothing queries the database.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from xml.sax.saxutils import escape, quoteattr

from portal.logs.labels import CATEGORY_LABELS as LOG_CATEGORY_LABELS
from portal.logs.labels import OUTCOME_LABELS
from portal.web.i18n import N_, current_language, format_number
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

COUNT_LABELS = {
    "patrols": N_("Patrols"),
    "patrol_hours": N_("Patrol hours"),
    "hazards_found": N_("Hazards found"),
    "hazards_fixed": N_("Hazards fixed"),
    "hazards_verified": N_("Hazards verified fixed"),
    "mediations": N_("Mediations"),
    "help_given": N_("Help given"),
    "people_helped": N_("People helped"),
    "publicity_sessions": N_("Publicity sessions"),
    "publicity_audience": N_("Publicity audience"),
    "ledger_filed": N_("Ledger items filed"),
    "ledger_closed": N_("Ledger items closed"),
}
METRIC_LABELS = {
    "hazard": N_("Hazards"),
    "help": N_("Help given"),
    "mediation": N_("Mediations"),
    "publicity": N_("Publicity sessions"),
    "ledger_filed": N_("Ledger items filed"),
}
LEDGER_LABELS = {"suggestion": N_("Suggestions"), "claim": N_("Interest claims"), "complaint": N_("Complaints and reports")}
TIP_CATEGORY_LABELS = {
    "fraud": N_("Anti-fraud"),
    "theft": N_("Theft"),
    "fire": N_("Fire safety"),
    "traffic": N_("Traffic"),
    "dispute": N_("Disputes between neighbours"),
    "elderly": N_("Older people"),
    "children": N_("Children"),
    "weather": N_("Weather"),
    "stairwell": N_("Stairwells and fire exits"),
    "general": N_("General"),
}
# Home visits to people who need care: counts only, those under HOTSPOT_MIN never stored.
CARE_LABELS = {"visits": N_("Home visits made"), "people": N_("People visited regularly")}
AGE_LABELS = (("age_0_2", N_("0–2 days")), ("age_3_7", N_("3–7 days")), ("age_8_30", N_("8–30 days")), ("age_30", N_("over 30 days")))
CHAT_TEXT_LIMIT = 1500  # characters: fits one message in the usual chat groups


def pick(zh: str, en: str) -> str:
    """The text in the reader's language, or the other one when it is missing."""
    if current_language() == "zh_CN":
        return zh or en
    return en or zh


def named(item: dict | None, prefix: str = "name") -> str:
    if not item:
        return ""
    return pick(item.get(f"{prefix}_zh", ""), item.get(f"{prefix}_en", ""))


def category_label(metric: str, category: str) -> str:
    if metric == "ledger_filed":
        return _(LEDGER_LABELS.get(category, category))
    labels = LOG_CATEGORY_LABELS.get(metric, {})
    return _(labels[category]) if category in labels else (category or _("Other"))


def number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return format_number(value)


def change(this, other) -> dict:
    """The change against a reference, as a sign and a readable text."""
    delta = round(this - other, 1)
    if delta > 0:
        return {"sign": "up", "text": "+" + number(delta)}
    if delta < 0:
        return {"sign": "down", "text": "−" + number(-delta)}
    return {"sign": "same", "text": "±0"}


def count_label(key: str) -> str:
    """The name of a line of the counts; mediations by outcome are named by the outcome,
    as the field logs name it ("Mediations · Referred to court")."""
    if key.startswith("mediations_") and key.removeprefix("mediations_") in OUTCOME_LABELS:
        return f"{_(COUNT_LABELS['mediations'])} · {_(OUTCOME_LABELS[key.removeprefix('mediations_')])}"
    return _(COUNT_LABELS[key])


def title(bulletin: dict) -> str:
    figures = bulletin["figures"]
    place = named(figures.get("community") or figures.get("station") or figures["unit"])
    return _("%(place)s safety bulletin, week %(week)s", place=place, week=figures["week"])


def period(figures: dict) -> str:
    from portal.web.i18n import format_date

    return _("%(start)s to %(end)s", start=format_date(dt.date.fromisoformat(figures["starts_on"])), end=format_date(dt.date.fromisoformat(figures["ends_on"])))


def _count(figures: dict, key: str):
    for line in figures.get("counts", []):
        if line["key"] == key:
            return line["this"]
    return 0


def generated_headline(figures: dict, waiting: int = 0) -> str:
    """The week in one sentence, built from the figures. While ``waiting`` logs of the
    week are not reviewed (they are not in the figures), it never calls the week quiet."""
    parts = []
    patrols = _count(figures, "patrols")
    if patrols:
        parts.append(ngettext("%(num)s patrol (%(hours)s hours)", "%(num)s patrols (%(hours)s hours)", patrols, hours=number(_count(figures, "patrol_hours"))))
    found, fixed = _count(figures, "hazards_found"), _count(figures, "hazards_fixed")
    if found or fixed:
        parts.append(ngettext("%(num)s hazard found, %(fixed)s fixed", "%(num)s hazards found, %(fixed)s fixed", found, fixed=number(fixed)))
    people = _count(figures, "people_helped") or _count(figures, "help_given")
    if people:
        parts.append(ngettext("%(num)s person helped", "%(num)s people helped", people))
    mediations = _count(figures, "mediations")
    if mediations:
        parts.append(ngettext("%(num)s dispute mediated", "%(num)s disputes mediated", mediations))
    closed = _count(figures, "ledger_closed")
    if closed:
        parts.append(ngettext("%(num)s matter from the public settled", "%(num)s matters from the public settled", closed))
    if not parts and waiting:
        return ngettext("Nothing reviewed yet: %(num)s log of this week still waits for review.", "Nothing reviewed yet: %(num)s logs of this week still wait for review.", waiting)
    if not parts:
        return _("A quiet week: nothing was logged.")
    return _("This week: %(facts)s.", facts=_("; ").join(parts))


def waiting(bulletin: dict) -> int:
    """Logs of the week not reviewed: counted now for a draft (``waiting`` set by the
    page), as at publication for a published bulletin."""
    return int(bulletin.get("waiting", bulletin["figures"].get("waiting_review", 0)) or 0)


def headline(bulletin: dict) -> str:
    return pick(bulletin.get("headline_zh", ""), bulletin.get("headline_en", "")) or generated_headline(bulletin["figures"], waiting(bulletin))


def note(bulletin: dict) -> str:
    return pick(bulletin.get("note_zh", ""), bulletin.get("note_en", ""))


def trend_svg(values: list, label: str, chart_id: str) -> str:
    """A small bar chart of the last weeks, drawn on the server: readable without
    JavaScript and in print, with a title and a description for screen readers."""
    width, height, gap = 120, 32, 2
    bar = (width - gap * (len(values) - 1)) / max(len(values), 1)
    top = max(max(values, default=0), 1)
    bars = []
    for n, value in enumerate(values):
        h = 0 if not value else max(1.5, (height - 2) * value / top)
        current = " class=\"now\"" if n == len(values) - 1 else ""
        bars.append(f'<rect{current} x="{n * (bar + gap):.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
    description = _("Weekly values, oldest first: %(values)s", values=", ".join(number(v) for v in values))
    # Outside the f-string, where the catalogue's extractor finds it.
    heading = ngettext("%(what)s, last %(weeks)s week", "%(what)s, last %(weeks)s weeks", len(values), what=label, weeks=len(values))
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(heading)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>{"".join(bars)}</svg>'
    )


def sections(bulletin: dict, public_url: str = "") -> dict:
    """What the page shows, in the reader's language; a section that is empty is None."""
    f = bulletin["figures"]
    counts = []
    for n, line in enumerate(f.get("counts", [])):
        if not any(line["trend"]):
            continue
        key = line["key"]
        label = count_label(key)
        counts.append({
            "label": label, "this": number(line["this"]), "last": number(line["last"]), "avg4": number(line["avg4"]),
            "vs_last": change(line["this"], line["last"]), "vs_avg": change(line["this"], line["avg4"]),
            "chart": trend_svg(line["trend"], label, f"chart-{bulletin.get('id', 0)}-{n}"),
        })
    categories = [
        {"label": f"{_(METRIC_LABELS[c['metric']])} · {category_label(c['metric'], c['category'])}", "this": number(c["this"]), "vs_last": change(c["this"], c["last"]), "vs_avg": change(c["this"], c["avg4"])}
        for c in f.get("categories", []) if c["this"] or c["last"]
    ]
    ledger = f.get("ledger") or {}
    ledger_view = None
    if ledger and (any(ledger["open"].values()) or ledger.get("overdue") or ledger.get("closed")):
        closed = ledger.get("closed", 0)
        ledger_view = {
            "open": [(_(label), ledger["open"][key]) for key, label in AGE_LABELS],
            "open_total": sum(ledger["open"].values()),
            "overdue": ledger.get("overdue", 0),
            "closed": closed,
            "median_days": number(ledger["median_close_days"]) if "median_close_days" in ledger else None,
            "median_days_value": ledger.get("median_close_days"),
            "satisfaction": f"{round(100 * ledger.get('satisfied', 0) / closed)}%" if closed else None,
            "you_said": [{"text": s["summary"] or category_label("ledger_filed", "suggestion"), "number": s["number"], "place": s["place"]} for s in ledger.get("you_said", [])],
        }
    hazards_fixed = _count(f, "hazards_fixed")
    coverage = f.get("coverage") or {}
    coverage_view = None
    if coverage and (coverage.get("filled") or coverage.get("unfilled") or coverage.get("routes") or coverage.get("gaps")):
        from portal.web.i18n import format_day

        def evening(day: str) -> str:
            return format_day(dt.date.fromisoformat(day))

        coverage_view = {
            "filled": coverage.get("filled", 0), "unfilled": coverage.get("unfilled", 0),
            "routes": [{"name": pick(r["name"], r.get("name_en", "")), "hours": number(r["hours"])} for r in coverage.get("routes", [])],
            "gaps": [evening(d) for d in coverage.get("gaps", [])],
            # A station's roll-up: the evenings without a patrol in each of its communities.
            "gaps_by_community": [
                {"name": named(c), "evenings": _("every evening") if len(c["gaps"]) == 7 else _(", ").join(evening(d) for d in c["gaps"])}
                for c in coverage.get("gaps_by_community", [])
            ],
        }
    from portal.reception.counters import COUNTER_LABELS

    desk = f.get("reception") or {}
    reception_view = [{"label": _(label), "this": number(desk[key])} for key, label in COUNTER_LABELS.items() if desk.get(key)] or None
    cared = f.get("care") or {}
    care_view = [{"label": _(label), "this": number(cared[key])} for key, label in CARE_LABELS.items() if cared.get(key)] or None
    points = f.get("watchpoints") or {}
    points_view = {k: [named(p) for p in points.get(k, [])] for k in ("new", "closed", "hours_changed")} if any(points.values()) else None
    zone = f.get("timezone") or "Asia/Shanghai"
    from portal.web.i18n import format_datetime

    coming = [
        {"name": pick(s["name"], s.get("name_en", "")), "when": format_datetime(dt.datetime.fromisoformat(s["starts_at"]), zone, "short"), "missing": s["missing"],
         "community": named(s, "community") if "community_zh" in s else ""}
        for s in f.get("coming_up", [])
    ]
    return {
        "counts": counts or None,
        "categories": categories or None,
        "hotspots": [
            {"name": _("near %(position)s", position=named(s)) if s.get("near") else named(s), "community": named(s, "community") if "community_zh" in s else "",
             "total": s["total"], "hazards": s["hazards"], "help": s["help"]}
            for s in f.get("hotspots", [])
        ] or None,
        "ledger": ledger_view,
        "we_did_hazards": hazards_fixed,
        "tips": [{"category": _(TIP_CATEGORY_LABELS.get(t["category"], t["category"])), "text": pick(t["text_zh"], t["text_en"]), "rising": t["rising"]} for t in f.get("tips", [])] or None,
        "coverage": coverage_view,
        "watchpoints": points_view,
        "reception": reception_view,
        "care": care_view,
        "thanks": [{"name": t["name"], "hours": number(t["hours"])} for t in f.get("thanks", [])] or None,
        "coming_up": coming or None,
        "signup_url": public_url.rstrip("/") + "/shifts",
        "communities": [{"name": named(c), "counts": c["counts"]} for c in f.get("communities", [])] or None,
        # The roll-up's table of places: a station's by community, a district's by station, a city's by district.
        "parts_heading": {"district": _("Station"), "city": _("District")}.get(f.get("scope"), _("Community")),
        "parts_title": {"district": _("Stations"), "city": _("Districts")}.get(f.get("scope"), _("Communities")),
        "contacts": f.get("contacts") or {"emergency": "110", "officers": [], "station_phone": ""},
    }


UNIT_PATHS = {"district": "/districts", "city": "/cities"}


def waiting_link(bulletin: dict) -> str:
    """The review queue narrowed to the logs still waiting, received since the week began
    (a log is received after it happened), of the community for a community's bulletin."""
    from urllib.parse import urlencode

    query = [("status", "submitted"), ("date_from", bulletin["figures"]["starts_on"]), ("order", "oldest")]
    if bulletin.get("scope") == "community" and bulletin.get("community"):
        query.insert(1, ("community", str(bulletin["community"])))
    return "/review/?" + urlencode(query)


def qr_codes(bulletin: dict, public_url: str) -> list[dict]:
    """QR codes for the printed bulletin: its page online and, for a community's, the
    community's page where residents ask and report."""
    import segno

    base = public_url.rstrip("/")
    links = [{"label": _("This bulletin online"), "url": base + public_path(bulletin)}]
    community = bulletin["figures"].get("community")
    if bulletin["figures"].get("scope", "community") == "community" and community:
        links.append({"label": _("Ask or report to your community"), "url": f"{base}/c/{community['code']}"})
    for link in links:
        link["svg"] = segno.make(link["url"], error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")
    return links


def public_path(bulletin: dict) -> str:
    f = bulletin["figures"]
    if f.get("scope") == "station":
        return f"/stations/{f['station']['id']}/bulletins/{f['week']}"
    if f.get("scope") in ("district", "city"):
        return f"{UNIT_PATHS[f['scope']]}/{f['unit']['code']}/bulletins/{f['week']}"
    return f"/c/{f['community']['code']}/bulletins/{f['week']}"


def as_text(bulletin: dict, public_url: str) -> str:
    """The bulletin as plain text sized for a chat group; the link leads to the rest."""
    view = sections(bulletin, public_url)
    lines = [f"【{title(bulletin)}】", headline(bulletin)]
    if note(bulletin):
        lines.append(note(bulletin))
    if view["counts"]:
        lines.append("")
        for c in view["counts"]:
            lines.append(_("%(label)s: %(this)s (%(change)s vs last week)", label=c["label"], this=c["this"], change=c["vs_last"]["text"]))
    if view["hotspots"]:
        lines.append("")
        lines.append(_("Hot spots: %(places)s", places=_(", ").join(s["name"] for s in view["hotspots"])))
    if view["tips"]:
        lines.append("")
        for tip in view["tips"]:
            lines.append(f"· {tip['text']}")
    if view["coming_up"]:
        lines.append("")
        lines.append(_("Shifts still need people: %(url)s", url=view["signup_url"]))
    tail = ["", _("Emergency: call 110"), _("Full bulletin: %(url)s", url=public_url.rstrip("/") + public_path(bulletin))]
    text = "\n".join(lines)
    room = CHAT_TEXT_LIMIT - len("\n".join(tail)) - 2
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return text + "\n" + "\n".join(tail)


def _rfc3339(value) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom(bulletins: list[dict], feed_title: str, self_path: str, public_url: str, feed_id: str) -> str:
    """An Atom feed of published bulletins (newest first)."""
    base = public_url.rstrip("/")
    updated = _rfc3339(bulletins[0]["published_at"]) if bulletins else "1970-01-01T00:00:00Z"
    entries = []
    for b in bulletins:
        link = base + public_path(b)
        summary = as_text(b, public_url)
        entries.append(
            "<entry>"
            f"<id>tag:shouwang,{b['figures']['starts_on'][:4]}:bulletin/{b['scope_key']}/{b['week']}/v{b['version']}</id>"
            f"<title>{escape(title(b))}</title>"
            f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(link)}/>"
            f"<updated>{_rfc3339(b['published_at'])}</updated>"
            f"<published>{_rfc3339(b['published_at'])}</published>"
            f"<summary type=\"text\">{escape(headline(b))}</summary>"
            f"<content type=\"text\">{escape(summary)}</content>"
            "</entry>"
        )
    language = "zh-CN" if current_language() == "zh_CN" else "en"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{language}">'
        f"<id>{escape(feed_id)}</id><title>{escape(feed_title)}</title>"
        f"<link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(base + self_path)}/>"
        f"<updated>{updated}</updated><author><name>{escape(_('Shouwang community safety'))}</name></author>"
        + "".join(entries) + "</feed>"
    )


def confirmation_mail(settings, subscriber: dict, community: dict) -> EmailMessage:
    from portal.web.i18n import activate, restore

    token = activate(subscriber["language"])
    try:
        base = settings.public_base()
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = subscriber["email"]
        message["Subject"] = _("Confirm your subscription to the %(community)s safety bulletin", community=named(community))
        message.set_content(
            _("Someone (we hope you) asked to receive the weekly safety bulletin of %(community)s at this address.", community=named(community))
            + "\n\n" + _("To confirm, open this link:") + f"\n{base}/bulletins/confirm/{subscriber['confirm_token']}\n\n"
            + _("If it was not you, ignore this e-mail: nothing will be sent.")
        )
        return message
    finally:
        restore(token)


def bulletin_mail(settings, bulletin: dict, subscriber: dict) -> EmailMessage:
    """The published bulletin as text, with the unsubscribe link in the body and headers."""
    from portal.web.i18n import activate, restore

    token = activate(subscriber["language"])
    try:
        base = settings.public_base()
        unsubscribe = f"{base}/bulletins/unsubscribe/{subscriber['unsubscribe_token']}"
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = subscriber["email"]
        subject = title(bulletin)
        if bulletin["version"] > 1:
            subject = _("Correction: %(title)s", title=subject)
        message["Subject"] = subject
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message.set_content(as_text(bulletin, base) + "\n\n" + _("Stop receiving this bulletin: %(url)s", url=unsubscribe))
        return message
    finally:
        restore(token)
