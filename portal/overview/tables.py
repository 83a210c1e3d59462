"""The overview's figures kept for a while where counting them is slow (a district's or a
city's year): ``portal.overview.snapshots``."""

from piccolo.columns import Real, Text, Timestamptz, Varchar
from piccolo.table import Table


class OverviewSnapshot(Table, tablename="overview_snapshot"):
    """What one count of the overview found for one area and period: its figures, the
    overdue items per officer and the ledgers by source, as JSON. ``key`` names the area
    (its communities and the level it is split by), the period and the time zone."""

    key = Varchar(length=64, unique=True)
    counted_at = Timestamptz()
    seconds = Real()
    payload = Text()
