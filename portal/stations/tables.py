"""Station → Community: the unit every scope, roster and bulletin hangs on."""

from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table


class Station(Table, tablename="station"):
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    phone = Varchar(length=40, default="")
    created_at = Timestamptz()


class Community(Table, tablename="community"):
    station = ForeignKey(references=Station, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=40, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    created_at = Timestamptz()
