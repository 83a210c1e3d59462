"""Users, role grants, server-side sessions, failed logins and forms kept across a login."""

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.stations.tables import City, Community, District, Station

ROLES = ("volunteer", "host", "officer", "head", "district_head", "city_head", "admin")
LANGUAGES = ("zh_CN", "en")


class User(Table, tablename="portal_user"):
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    real_name = Varchar(length=100)
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    preferred_language = Varchar(length=8, default="zh_CN")
    active = Boolean(default=True)
    must_change_password = Boolean(default=False)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class RoleGrant(Table, tablename="role_grant"):
    """One role of one user, scoped: volunteer/host/officer → a community, head → a
    station, district_head → a district, city_head → a city, admin → everything (no scope)."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)
    station = ForeignKey(references=Station, null=True, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.restrict, index=True)
    district = ForeignKey(references=District, null=True, on_delete=OnDelete.restrict, index=True)
    city = ForeignKey(references=City, null=True, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()


class UserSession(Table, tablename="user_session"):
    """A login. The cookie holds a random token; only its SHA-256 is stored."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz(index=True)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=255, default="")


class LoginFailure(Table, tablename="login_failure"):
    """A login attempt reserved before its password is checked (``pending``, in flight);
    a wrong password makes it a failure, a right one removes it.
    ``device``: the trusted device's id (from its signed cookie), "" for any other client."""

    username = Varchar(length=64)
    ip = Varchar(length=64)
    at = Timestamptz(default=TimestamptzNow())
    device = Varchar(length=64, default="")
    pending = Boolean(default=False)


class FormDraft(Table, tablename="form_draft"):
    """What was typed on a form sent when its session had ended (text fields only, never a
    password or a file), kept a short while under a random key held in the sender's cookie
    (only its SHA-256 is stored), to fill the form at ``path`` again once, after the login.
    ``user``: who sent it, when they were signed in (a token of an older session)."""

    token_hash = Varchar(length=64, unique=True)
    path = Varchar(length=500)
    fields = Text()  # JSON: [[name, value], ...] in the form's order
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.cascade)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
