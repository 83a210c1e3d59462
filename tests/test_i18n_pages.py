"""Chinese pages have no English left in them: every GET page walked in zh_CN as each role
over seeded data (the hardening walk's), and the forms most used sent empty.

Two checks that need no list of strings: every message looked up while a page is made is
in the zh_CN catalogue (a msgid the extractor missed, such as one inside an f-string, is
looked up but not found), and no English sentence of the catalogue (its msgids, cut at the
placeholders) appears in a page's text, which catches English put on a page without a
lookup at all.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from portal.settings import ROOT
from portal.web import i18n
from tests.conftest import http_client, log_in, post_form
from tests.test_hardening_walk import EXTRA_GETS, path_ids, seeded  # noqa: F401 - the walk's data
from tests.test_route_guards import app_routes, fill

pytestmark = pytest.mark.walk

VIEWERS = (("anonymous", None), ("vol-a", "volunteer"), ("host-a", "host"), ("officer-a", "officer"), ("head-1", "head"), ("admin", "admin"))
# Pieces of a msgid that are English sentences and not also words of Chinese pages
# (codes, "Open311", "A4" are the same in both).
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\w+\}")


class _Recording:
    """The zh_CN translations, noting every message they do not hold."""

    def __init__(self, real, misses: set):
        self.real, self.misses = real, misses

    def _known(self, key, shown) -> None:
        if key not in self.real._catalog:
            self.misses.add(shown)

    def ugettext(self, message):
        self._known(message, message)
        return self.real.ugettext(message)

    def pgettext(self, context, message):
        self._known(f"{context}\x04{message}", f"{message} ({context})")
        return self.real.pgettext(context, message)

    def ungettext(self, singular, plural, n):
        self._known((singular, 0), singular)
        return self.real.ungettext(singular, plural, n)

    def npgettext(self, context, singular, plural, n):
        self._known((f"{context}\x04{singular}", 0), f"{singular} ({context})")
        return self.real.npgettext(context, singular, plural, n)


@pytest.fixture
def lookups(monkeypatch):
    """The msgids looked up in zh_CN and missing from its catalogue."""
    misses: set[str] = set()
    real = i18n.translations
    monkeypatch.setattr(i18n, "translations", lambda language: _Recording(real(language), misses) if language == "zh_CN" else real(language))
    return misses


def english_sentences() -> set[str]:
    """The catalogue's English, cut at placeholders, where the Chinese differs: pieces of
    at least three words, so that a name or a code does not count."""
    with open(ROOT / "portal" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = [m for m in read_po(handle) if m.id]
    pieces = set()
    for message in catalogue:
        for english in [message.id] if isinstance(message.id, str) else message.id:
            for piece in PLACEHOLDER.split(english):
                piece = piece.strip(" .,:;()·–-\n")
                if len(piece.split()) >= 3 and piece not in str(message.string):
                    pieces.add(piece)
    return pieces


class _Text(HTMLParser):
    """What a reader sees or hears of a page: text and the attributes read out, without
    scripts, styles and what is marked as English on purpose (lang="en")."""

    READ = ("title", "alt", "placeholder", "aria-label", "content")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is it skipped

    def _skipped(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in ("script", "style") or (attrs.get("lang") or "").startswith("en") and tag != "html"
        if not skip and not self._skipped():
            self.parts += [value for name, value in attrs.items() if name in self.READ and value]
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._skipped():
            self.parts.append(data)


def page_text(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    return re.sub(r"\s+", " ", " ".join(reader.parts))


def english_in(text: str, sentences: set[str]) -> list[str]:
    return sorted(piece for piece in sentences if piece in text)


async def _walk(app, area, seeded, name: str, role: str | None) -> dict[str, list[str]]:
    users, objects, common, target = seeded
    routes = sorted(path for method, path in app_routes(app) if method == "GET")
    ids = path_ids(area, objects, common, "a", target) | {"station_id": area.station_id}
    paths = [fill(template, ids) for template in routes] + list(EXTRA_GETS) + [f"/track/{objects['a']['tracking']}", f"/ledger/{objects['a']['filed']}"]
    pages = {}
    async with http_client(app) as client:
        if role:
            await log_in(client, name)
        await post_form(client, "/language", {"language": "zh_CN", "next": "/"})
        for path in paths:
            response = await client.get(path, follow_redirects=False)
            if response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html"):
                pages[path] = response.text
        if role == "volunteer":
            for kind in ("patrol", "hazard", "mediation", "help", "publicity"):
                response = await post_form(client, f"/logs/new/{kind}", {})
                pages[f"POST /logs/new/{kind}"] = response.text
        if role is None:
            pages["POST /login"] = (await post_form(client, "/login", {"username": "nobody", "password": "wrong password"})).text
            pages["POST /c/a/ask/help"] = (await post_form(client, "/c/a/ask/help", {})).text
    return pages


@pytest.mark.parametrize("name, role", VIEWERS, ids=[name for name, _ in VIEWERS])
async def test_chinese_pages_have_no_english_left(app, area, seeded, lookups, name, role):  # noqa: F811
    pages = await _walk(app, area, seeded, name, role)
    assert len(pages) > 10
    assert sorted(lookups) == []
    sentences = english_sentences()
    left = {path: found for path, html in pages.items() if (found := english_in(page_text(html), sentences))}
    assert left == {}


def test_the_checks_can_fail():
    """The text reader and the catalogue's English find what they should."""
    sentences = english_sentences()
    page = '<p>请选择社区。</p><p>Choose the community.</p><span lang="en">Choose the community.</span><input placeholder="Missing 3 people"><script>var x = "Missing 3 people"</script>'
    assert page_text(page).count("Choose the community") == 1 and "var x" not in page_text(page)
    assert english_in(page_text(page), sentences) == ["Choose the community"]
    assert english_in(page_text('<p title="No experienced volunteer signed up">x</p>'), sentences) == ["No experienced volunteer signed up"]
