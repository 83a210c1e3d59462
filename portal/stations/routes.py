"""The administrator's organisation pages: the tree of city bureaus, district or county
bureaus, stations and communities; add, rename, move and retire (portal.stations.org)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.stations import org
from portal.stations.forms import MoveForm, NamesForm, RetireForm, UnitForm
from portal.web.guards import requires
from portal.web.i18n import gettext as _
from portal.web.pages import invalid, render, see_other

UNIT_FIELDS = ("level", "code", "name_zh", "name_en", "parent", "timezone", "latitude", "longitude")


def level_names() -> dict[str, str]:
    return {level: _(name) for level, name in org.LEVEL_NAMES.items()}


async def _parent_choices(levels: tuple[str, ...]) -> list[tuple[str, str]]:
    """Active units that can hold others, as (code, "level · name (code)")."""
    names = level_names()
    units = await org.tree(levels=levels)
    return [("", "—")] + [(unit["code"], f"{names[unit['level']]} · {unit['name_zh']} ({unit['code']})") for unit in units]


async def _unit_or_404(level: str, code: str) -> dict:
    if level not in org.TABLES:
        raise NotFoundException()
    unit = await org.find(level, code)
    if unit is None:
        raise NotFoundException()
    return unit


class OrgController(Controller):
    path = "/admin/org"
    guards = [requires("admin")]

    @get("/", name="admin.org")
    async def tree(self, request: Request, retired: bool = Parameter(default=False)) -> Template:
        units = await org.tree(include_retired=retired)
        return render(request, "admin/org.html", {"units": units, "retired": retired, "level_names": level_names()})

    @get("/new", name="admin.org.new")
    async def new_unit(
        self,
        request: Request,
        level: str = Parameter(default="community", max_length=16),
        parent: str = Parameter(default="", max_length=40),
    ) -> Template:
        form = UnitForm(data={"level": level if level in org.TABLES else "community", "parent": parent})
        form.parent.choices = await _parent_choices(("city", "district", "station"))
        return render(request, "admin/org_new.html", {"form": form})

    @post("/new", name="admin.org.create")
    async def create_unit(self, request: Request) -> Template | Redirect:
        form = await UnitForm.from_request(request)
        form.parent.choices = await _parent_choices(("city", "district", "station"))
        if form.validate():
            community = form.level.data == "community"
            data = org.UnitData(
                level=form.level.data,
                code=form.code.data,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data or "",
                parent_code=form.parent.data or None,
                timezone=(form.timezone.data or "Asia/Shanghai") if community else None,
                latitude=form.latitude.data if community else None,
                longitude=form.longitude.data if community else None,
            )
            try:
                await org.create(request.user, data)
            except org.OrgError as error:
                form.fail({"centre": "latitude"}.get(error.field, error.field), error.message)
            else:
                return see_other(f"/admin/org/{data.level}/{data.code.strip().lower()}?saved=1")
        return invalid(request, "admin/org_new.html", {"form": form})

    async def _unit_page(self, request: Request, unit: dict, level: str, *, names=None, move=None, retire=None, status: int = 200) -> Template:
        parent = None
        if level in org.PARENT:
            parent_level, column = org.PARENT[level]
            parent_table = org.TABLES[parent_level]
            parent = await parent_table.select(parent_table.code, parent_table.name_zh, parent_table.name_en).where(parent_table.id == unit[column._meta.name]).first().run()
        move = move or MoveForm(data={"parent": parent["code"] if parent else ""})
        if level in org.PARENT:
            move.parent.choices = await _parent_choices((org.PARENT[level][0],))
        context = {
            "unit": unit,
            "parent": parent,
            "parent_level": org.PARENT[level][0] if level in org.PARENT else None,
            "child_level": org.CHILD.get(level),
            "level": level,
            "level_names": level_names(),
            "names": names or NamesForm(data={"name_zh": unit["name_zh"], "name_en": unit["name_en"]}),
            "move": move if level in org.PARENT else None,
            "retire": retire or RetireForm(),
            "saved": request.query_params.get("saved") == "1",
        }
        return render(request, "admin/org_unit.html", context, status=status)

    @get("/{level:str}/{code:str}", name="admin.org.unit")
    async def unit(self, request: Request, level: FromPath[str], code: FromPath[str]) -> Template:
        return await self._unit_page(request, await _unit_or_404(level, code), level)

    @post("/{level:str}/{code:str}/rename", name="admin.org.rename")
    async def rename(self, request: Request, level: FromPath[str], code: FromPath[str]) -> Template | Redirect:
        unit = await _unit_or_404(level, code)
        form = await NamesForm.from_request(request)
        if form.validate():
            try:
                await org.rename(request.user, level, code, form.name_zh.data, form.name_en.data or "")
            except org.OrgError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/admin/org/{level}/{code}?saved=1")
        return await self._unit_page(request, unit, level, names=form, status=422)

    @post("/{level:str}/{code:str}/move", name="admin.org.move")
    async def move(self, request: Request, level: FromPath[str], code: FromPath[str]) -> Template | Redirect:
        unit = await _unit_or_404(level, code)
        if level not in org.PARENT:
            raise NotFoundException()
        form = await MoveForm.from_request(request)
        form.parent.choices = await _parent_choices((org.PARENT[level][0],))
        if form.validate():
            try:
                await org.move(request.user, level, code, form.parent.data)
            except org.OrgError as error:
                form.fail("parent", error.message)
            else:
                return see_other(f"/admin/org/{level}/{code}?saved=1")
        return await self._unit_page(request, unit, level, move=form, status=422)

    @post("/{level:str}/{code:str}/retire", name="admin.org.retire")
    async def retire(self, request: Request, level: FromPath[str], code: FromPath[str]) -> Template | Redirect:
        unit = await _unit_or_404(level, code)
        form = await RetireForm.from_request(request)
        if form.validate():
            try:
                await org.retire(request.user, level, code)
            except org.OrgError as error:
                form.fail("confirm", error.message)
            else:
                return see_other(f"/admin/org/{level}/{code}?saved=1")
        return await self._unit_page(request, unit, level, retire=form, status=422)
