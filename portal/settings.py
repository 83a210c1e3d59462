"""Settings: one frozen object read from ``PORTAL_*`` environment variables.

Defaults are safe for the demo on one machine; production mode refuses to start
with the demo secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_SECRET = "shouwang-demo-secret-change-me-in-production"

HTMX_VERSION = "2.0.11"
# sha384 of dist/htmx.min.js from the npm package htmx.org@2.0.11, computed from that file.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SELF_HOSTED_PATH = "/static/vendor/htmx.min.js"


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable and its default.

    The metadata ``help`` of each field is what the README lists.
    """

    env: str = field(default="development", metadata={"help": "`development` or `production`; production refuses the demo secret."})
    secret_key: str = field(default=DEMO_SECRET, metadata={"help": "Keys the CSRF tokens (bound to the session), the device cookies and the hashes of client addresses. At least 32 characters in production."})
    database_url: str = field(default=f"sqlite:///{ROOT / 'var' / 'portal.sqlite3'}", metadata={"help": "`sqlite:///path/to/file.sqlite3` (default under `var/`) or `postgresql://user:pass@host:5432/db`."})
    redis_url: str = field(default="", metadata={"help": "When set (`redis://host:6379/0`), sessions live in Redis instead of the database."})
    host: str = field(default="127.0.0.1", metadata={"help": "Address `portal serve` listens on."})
    port: int = field(default=8000, metadata={"help": "Port `portal serve` listens on."})
    workers: int = field(default=1, metadata={"help": "Worker processes for `portal serve`."})
    https: bool = field(default=False, metadata={"help": "The portal is served over TLS (directly or behind a proxy): secure cookies and HSTS."})
    htmx_self_hosted: bool = field(default=False, metadata={"help": "Load htmx only from `static/vendor/` (`scripts/fetch-htmx`; `scripts/run` does it), for networks that cannot reach the CDN. Otherwise pages load it from the CDN and fall back to that copy when the CDN fails or stalls for 3 s."})
    default_language: str = field(default="zh_CN", metadata={"help": "`zh_CN` or `en`: the language when the browser states no preference we have."})
    timezone: str = field(default="Asia/Shanghai", metadata={"help": "Time zone of new communities and of pages without one."})
    session_hours: int = field(default=24 * 7, metadata={"help": "A session ends after this many hours without a request."})
    login_max_failures: int = field(default=5, metadata={"help": "Failed logins per account (or 4x per address) within 15 minutes before logins are refused for 15 minutes; a browser that logged in to the account before is held to its own failures instead."})
    max_body_bytes: int = field(default=1_048_576, metadata={"help": "Largest request body accepted; larger ones get 413. Forms with photos or files have a limit per file instead (portal/web/multipart.py)."})
    sqlite_pool_size: int = field(default=4, metadata={"help": "Reused SQLite connections per process."})
    pg_pool_size: int = field(default=10, metadata={"help": "PostgreSQL pool size per process."})
    # OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2, p=1 as equal in defence to
    # its 46 MiB and 64 MiB settings: a worker stays under 150 MB while it checks a login.
    password_time_cost: int = field(default=2, metadata={"help": "Argon2id passes per password hash (OWASP's minimum for 19 MiB). Lower it only for tests."})
    password_memory_kib: int = field(default=19456, metadata={"help": "Argon2id memory per password hash in KiB (19 MiB, OWASP's recommendation). Lower it only for tests."})
    password_parallelism: int = field(default=1, metadata={"help": "Argon2id lanes per password hash; memory must be at least 8 KiB per lane."})
    scheduler: str = field(default="app", metadata={"help": "Where scheduled jobs run: `app` (inside `portal serve`), `process` (only in `portal scheduler`; the web workers run none) or `off`."})
    shift_cancel_cutoff_hours: int = field(default=12, metadata={"help": "Until this many hours before a shift a volunteer may cancel and free the place; later, \"I can't make it\" asks for a stand-in. A shift kind may set its own."})
    shift_offer_minutes: int = field(default=120, metadata={"help": "Minutes the first person on a waitlist has to confirm a freed place before it goes to the next."})
    shift_max_no_shows: int = field(default=3, metadata={"help": "Unexcused no-shows after which sign-up is blocked until an officer lifts the block."})
    shift_overdue_minutes: int = field(default=30, metadata={"help": "Minutes after a shift's end before officers are alerted that a checked-in patroller has not checked out."})
    shift_reminder_hours: str = field(default="24,2", metadata={"help": "Hours before a shift when its volunteers are reminded (comma-separated)."})
    shift_experienced_after: int = field(default=5, metadata={"help": "Worked shifts (checked in and out) after which a volunteer counts as experienced for the buddy rule."})
    public_url: str = field(default="", metadata={"help": "The portal's address as the public reaches it (e.g. `https://shouwang.example.org`): QR codes, links in e-mails and the Open311 API point there. Required in production; unset in development, the address each request was served at (host and port), or `http://PORTAL_HOST:PORTAL_PORT` outside a request."})
    smtp_url: str = field(default="", metadata={"help": "When set (`smtp://user:pass@host:587`, `smtps://…` for TLS from the start), notifications are also sent by e-mail to people who gave an address."})
    mail_from: str = field(default="Shouwang <noreply@localhost>", metadata={"help": "Sender address of notification e-mails."})
    bulletin_catch_up_weeks: int = field(default=4, metadata={"help": "Weeks back the bulletin job compiles when the portal was down on a Monday morning (weeks already compiled are skipped)."})
    ledger_reminder_days: int = field(default=3, metadata={"help": "Days after a ledger item's feedback without an answer from the person before the accountable officer is reminded to ask."})
    ledger_unconfirmed_days: int = field(default=4, metadata={"help": "Days after that reminder before the item is closed without confirmation (counted apart in every figure)."})
    retention_mediation_days: int = field(default=1095, metadata={"help": "Days after a mediation before the retention job anonymises its parties' names and contacts (the number of parties stays). 0: never."})
    retention_ledger_days: int = field(default=730, metadata={"help": "Days after a ledger item was closed before the retention job removes the raiser's name, phone and e-mail (the item and its figures stay). 0: never."})
    retention_intake_days: int = field(default=365, metadata={"help": "Days after a public intake was made before the retention job removes its contact name and phone, once it is answered or filed. 0: never."})
    retention_care_days: int = field(default=30, metadata={"help": "Days after a person's consent to home visits was withdrawn, or the person left, before the retention job removes their record from the care register, with the notes of its visits (the visits stay counted). 0: never."})
    retention_notice_days: int = field(default=730, metadata={"help": "Days after a rectification notice was closed (withdrawn, or its hazard re-inspected and found fixed) before the retention job removes the party it was addressed to (name and address), the notes of the party's reports and the hazard's \"who must fix it\" (the notice, its number and its figures stay). 0: never."})
    retention_pairing_days: int = field(default=365, metadata={"help": "Days after a 联访解 pairing ended before the retention job removes its personal data: a paired person's name, address and phone with the notes of the contacts and the opinions' text, a unit's contact person and phone (the pairing and its counts stay). 0: never."})
    upload_dir: str = field(default="", metadata={"help": "Folder of uploaded photos (logs). Empty: `uploads/` beside the SQLite file, or `var/uploads` with PostgreSQL. Every web process must see the same folder."})

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over TLS when the portal is served over it (by the setting or its public address)."""
        return self.https or self.public_url.startswith("https://")

    def public_base(self, served: str = "") -> str:
        """The address public links start with: PORTAL_PUBLIC_URL, else the address a request
        was ``served`` at (development: a QR code printed from a laptop on the LAN opens that
        laptop), else this process's own host and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        if served:
            return served.rstrip("/")
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host
        return f"http://{host}:{self.port}"

    @property
    def htmx_url(self) -> str:
        return HTMX_SELF_HOSTED_PATH if self.htmx_self_hosted else HTMX_CDN_URL

    @cached_property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None

    @cached_property
    def upload_path(self) -> Path:
        """Built once per settings object (it was a new Path on every photo request)."""
        if self.upload_dir:
            return Path(self.upload_dir)
        return (self.sqlite_path.parent if self.sqlite_path else ROOT / "var") / "uploads"

    def validate(self) -> "Settings":
        if self.env not in {"development", "production"}:
            raise SettingsError("PORTAL_ENV must be 'development' or 'production'")
        if self.production and (self.secret_key == DEMO_SECRET or len(self.secret_key) < 32):
            raise SettingsError(
                "PORTAL_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if not (self.database_url.startswith("sqlite:///") or self.database_url.startswith(("postgresql://", "postgres://"))):
            raise SettingsError("PORTAL_DATABASE_URL must start with sqlite:/// or postgresql://")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError("PORTAL_PUBLIC_URL must start with http:// or https://")
        if self.production and not self.public_url:
            raise SettingsError("PORTAL_PUBLIC_URL must be set in production: the address the public reaches the portal at, which printed QR codes carry")
        if self.default_language not in {"zh_CN", "en"}:
            raise SettingsError("PORTAL_DEFAULT_LANGUAGE must be zh_CN or en")
        if self.password_time_cost < 1 or self.password_parallelism < 1 or self.password_memory_kib < 8 * self.password_parallelism:
            raise SettingsError("PORTAL_PASSWORD_*: at least one pass, one lane and 8 KiB of memory per lane")
        if min(self.retention_mediation_days, self.retention_ledger_days, self.retention_intake_days, self.retention_care_days, self.retention_notice_days, self.retention_pairing_days) < 0:
            raise SettingsError("PORTAL_RETENTION_*_DAYS must be 0 (never) or a number of days")
        if self.scheduler not in {"app", "process", "off"}:
            raise SettingsError("PORTAL_SCHEDULER must be app, process or off")
        try:
            hours = [int(h) for h in self.shift_reminder_hours.split(",") if h.strip()]
        except ValueError as exc:
            raise SettingsError("PORTAL_SHIFT_REMINDER_HOURS must be whole hours separated by commas") from exc
        if any(h <= 0 for h in hours):
            raise SettingsError("PORTAL_SHIFT_REMINDER_HOURS must be positive")
        return self

    @classmethod
    def help_table(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) for every setting."""
        return [(f"PORTAL_{f.name.upper()}", str(f.default), f.metadata["help"]) for f in fields(cls)]


def load_settings(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Build settings from the environment; keyword overrides win (used by tests)."""
    environ = os.environ if environ is None else environ
    values: dict = {}
    for f in fields(Settings):
        raw = environ.get(f"PORTAL_{f.name.upper()}")
        if raw is None:
            continue
        try:
            if f.type in ("bool", bool):
                values[f.name] = _bool(raw)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        except ValueError as exc:
            raise SettingsError(f"PORTAL_{f.name.upper()}: {exc}") from exc
    values.update(overrides)
    return Settings(**values).validate()
