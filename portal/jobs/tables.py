"""One row per claimed run of a scheduled job."""

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class JobRun(Table, tablename="job_run"):
    """``run_key`` is "<job>@<period>": the first process to insert it runs the job."""

    run_key = Varchar(length=120, unique=True)
    job = Varchar(length=64, index=True)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=16, default="running")
    done = Integer(default=0)
    error = Text(default="")
