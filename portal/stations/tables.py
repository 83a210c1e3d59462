"""City bureau → district (or county) bureau → station → community: the units every
scope, roster and bulletin hangs on. A unit that holds data is retired, never deleted."""

from piccolo.columns import Float, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table


class City(Table, tablename="city"):
    """市局."""

    code = Varchar(length=40, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    created_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)


class District(Table, tablename="district"):
    """分县局: a district or county bureau of a city."""

    city = ForeignKey(references=City, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=40, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    created_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)


class Station(Table, tablename="station"):
    """派出所. ``district`` is empty only for stations created before the levels existed."""

    district = ForeignKey(references=District, on_delete=OnDelete.restrict, index=True, null=True)
    code = Varchar(length=40, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    phone = Varchar(length=40, default="")
    created_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)


class Community(Table, tablename="community"):
    """社区 / 警务区, with its clock and the centre of its area."""

    station = ForeignKey(references=Station, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=40, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    latitude = Float(null=True, default=None)
    longitude = Float(null=True, default=None)
    created_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)
