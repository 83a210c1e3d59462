"""Templates read a row's keys as attributes (portal.app.RowEnvironment) exactly as Jinja
does: a dict's key by ``row.name``, a dict's methods before a key of the same name, an
object's attributes, and a missing key is undefined (an error outside production)."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from portal.app import template_environment


class Row:
    name = "object"


def test_rows_read_like_jinjas_own_lookup(settings):
    env = template_environment(settings)  # the tests' settings: StrictUndefined
    render = lambda source, **values: env.from_string(source).render(**values)  # noqa: E731
    row = {"name": "西关", "items": [1, 2], "get": "key"}
    assert render("{{ row.name }}", row=row) == "西关"
    assert render("{{ row.items()|list|length }}", row=row) == "3"  # the method, as Jinja gives it
    assert render("{{ row['items']|length }}", row=row) == "2"
    assert render("{{ row.get('name') }}", row=row) == "西关"
    assert render("{{ row.name }}", row=Row()) == "object"
    assert render("{{ row.0 }}", row=["first"]) == "first"
    with pytest.raises(UndefinedError):
        render("{{ row.missing }}", row=row)
