"""Which passwords a person may choose, after NIST SP 800-63B (5.1.1.2, memorized
secrets): long enough, any characters at all (spaces, every script; no composition
rules, no expiry), but not the username or a password containing it, and not one of
the passwords attackers try first.

``common-passwords.txt.gz`` is SecLists' Passwords/Common-Credentials/
10-million-password-list-top-100000.txt (Mark Burnett's ten million passwords, the
100,000 most used; MIT licence): 100,000 lines, SHA-256 of the text
84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148. It is read once per
process, keeping only the entries a password of the minimum length could equal.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from portal.web.i18n import gettext as _

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list's entries that are long enough to be chosen, in lower case (about 2,300:
    shorter ones are refused for their length anyway)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(entry for entry in (line.rstrip("\n").lower() for line in lines) if len(entry) >= MIN_PASSWORD_LENGTH)


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` may not be chosen by ``username`` (translated), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_PASSWORD_LENGTH)
    lowered = password.lower()
    name = username.strip().lower()
    if name and name in lowered:
        return _("Choose a password that does not contain the username.")
    if lowered in common_passwords():
        return _("This password is one of the most common ones, which are tried first. Choose another.")
    return None
