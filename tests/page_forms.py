"""What a browser would send from a form on a page: ``form_values(html, action)`` reads the
form posting to ``action`` and returns its successful controls as a list of (name, value)
pairs: inputs (checkboxes and radios only when checked; no files, no buttons), each
select's selected options (its first when none is marked) and textareas."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.pairs: list[tuple[str, str]] = []
        self.found = False
        self._inside = False
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("action") == self.action
            self.found = self.found or self._inside
            return
        if not self._inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("file", "submit", "button", "reset", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.pairs.append((name, attrs.get("value") or ("on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select = {"name": name, "options": [], "multiple": "multiple" in attrs}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": "", "selected": "selected" in attrs}
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]] or ([] if self._select["multiple"] else options[:1])
            self.pairs += [(self._select["name"], o["value"] if o["value"] is not None else o["text"].strip()) for o in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The parser keeps the newline HTML drops right after <textarea>.
            self.pairs.append((self._textarea["name"], self._textarea["text"].removeprefix("\n")))
            self._textarea = None


def form_values(html: str, action: str) -> list[tuple[str, str]]:
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.found, f"no form posting to {action}"
    return reader.pairs
