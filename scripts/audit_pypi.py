"""Known vulnerabilities of the locked pins, from PyPI's per-project JSON.

scripts/audit runs this when pip-audit's vulnerability service cannot be reached (no
api.osv.dev, and PyPI's per-release JSON /pypi/<name>/<version>/json refused) but the
per-project JSON /pypi/<name>/json is. Usage: audit_pypi.py LOCK [LOCK ...]
Exit 1 when a known vulnerability affects a pin, 0 otherwise; pins this data cannot
prove clean are listed as not checkable, with the reason.

What the data proves (https://docs.pypi.org/api/json/): on the project endpoint the
`vulnerabilities` array lists the known vulnerabilities *of the most recent release*
(`info.version`), each with `id`, `aliases`, `fixed_in` and `withdrawn` (an RFC 3339 time
when the advisory was retracted: such entries are ignored). Hence, for a pin P and the
latest release L:
- P == L: the list is exactly P's. Empty: no known vulnerability. Otherwise P is affected.
- P < L: an advisory listed for L is taken to affect P too, unless one of its `fixed_in`
  versions is <= P in P's own release series (same first two numbers): P then carries
  that fix and the listing for L is another series' range. Advisories that were fixed
  between P and L are not listed at all, so the endpoint can never prove P clean: such a
  pin is "not checkable here" (upgrade to L, or audit it with pip-audit where a
  vulnerability service is reachable).
- P > L (a pre-release pinned, say): the list describes another release; not checkable.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi"
TIMEOUT = 20
ATTEMPTS = 2
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Verdict:
    name: str
    pin: str
    status: str  # "clean", "vulnerable" or "unchecked"
    reason: str
    advisories: tuple[str, ...] = ()  # the ones affecting the pin
    withdrawn: tuple[str, ...] = ()  # listed but retracted: ignored


def _label(advisory: dict) -> str:
    aliases = [a for a in advisory.get("aliases") or () if a != advisory.get("id")]
    return f"{advisory.get('id', '?')}" + (f" ({', '.join(aliases)})" if aliases else "")


def _versions(values) -> list[Version]:
    out = []
    for value in values or ():
        try:
            out.append(Version(str(value)))
        except InvalidVersion:
            pass
    return out


def _fixed_in_own_series(pin: Version, advisory: dict) -> bool:
    return any(f <= pin and f.release[:2] == pin.release[:2] for f in _versions(advisory.get("fixed_in")))


def _fixes_after(pin: Version, advisories: list[dict]) -> str:
    fixes = sorted({f for a in advisories for f in _versions(a.get("fixed_in")) if f > pin})
    return f"fixed in {', '.join(map(str, fixes))}" if fixes else "no fixed release yet"


def judge(name: str, pin: str, project: dict) -> Verdict:
    """The verdict on one pin from the project's JSON document (see the module text)."""
    latest = (project.get("info") or {}).get("version")
    listing = project.get("vulnerabilities")
    if not latest or not isinstance(listing, list):
        return Verdict(name, pin, "unchecked", "PyPI's project JSON has no latest version or vulnerability list")
    try:
        p, l = Version(pin), Version(latest)
    except InvalidVersion:
        return Verdict(name, pin, "unchecked", f"version {pin!r} or {latest!r} cannot be compared")
    withdrawn = tuple(_label(a) for a in listing if a.get("withdrawn"))
    active = [a for a in listing if not a.get("withdrawn")]
    if p == l:
        if not active:
            return Verdict(name, pin, "clean", "the latest release; PyPI lists no known vulnerability", (), withdrawn)
        return Verdict(
            name, pin, "vulnerable", f"the latest release, listed as vulnerable ({_fixes_after(p, active)})",
            tuple(map(_label, active)), withdrawn,
        )
    if p > l:
        return Verdict(
            name, pin, "unchecked",
            f"not checkable here: newer than PyPI's latest release {latest}, whose list this is; "
            "audit with pip-audit where a vulnerability service is reachable", (), withdrawn,
        )
    affecting = [a for a in active if not _fixed_in_own_series(p, a)]
    if affecting:
        return Verdict(
            name, pin, "vulnerable",
            f"listed for the latest release {latest} and not fixed by {pin} ({_fixes_after(p, affecting)})",
            tuple(map(_label, affecting)), withdrawn,
        )
    return Verdict(
        name, pin, "unchecked",
        f"not checkable here: upgrade to {latest} or audit with pip-audit where a vulnerability "
        "service is reachable", (), withdrawn,
    )


def read_pins(paths: list[str]) -> dict[tuple[str, str], list[str]]:
    """(normalised name, version) -> the lock files pinning it."""
    pins: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        with open(path, encoding="utf-8") as lock:
            for line in lock:
                if match := _PIN.match(line):
                    pins.setdefault((normalise(match[1]), match[2]), []).append(path)
    return pins


def fetch(name: str, base: str = PYPI) -> dict | str:
    """The project JSON, or a str saying why there is none."""
    url = f"{base}/{name}/json"
    request = urllib.request.Request(url, headers={"User-Agent": "shouwang-portal scripts/audit"})
    why = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(2)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            why = f"{url} answered {error.code}"
            if error.code == 404:
                break
        except (OSError, ValueError) as error:  # URLError, timeouts, bad JSON
            why = f"{url} failed: {error}"
    return why


def main(argv: list[str]) -> int:
    paths = argv[1:] or ["requirements.lock", "requirements-test.lock"]
    pins = read_pins(paths)
    with ThreadPoolExecutor(max_workers=16) as pool:
        documents = dict(zip(pins, pool.map(lambda key: fetch(key[0]), pins)))
    verdicts = []
    for (name, pin), document in documents.items():
        if isinstance(document, str):
            verdicts.append(Verdict(name, pin, "unchecked", f"not checkable here: {document}"))
        else:
            verdicts.append(judge(name, pin, document))
    print(f"== PyPI project JSON audit of {', '.join(paths)} ({len(pins)} distinct pins)")
    for verdict in verdicts:
        where = ", ".join(pins[(verdict.name, verdict.pin)])
        if verdict.status == "vulnerable":
            print(f"VULNERABLE {verdict.name}=={verdict.pin} [{where}]: {', '.join(verdict.advisories)}; {verdict.reason}")
    for verdict in verdicts:
        if verdict.status == "unchecked":
            print(f"UNCHECKED  {verdict.name}=={verdict.pin}: {verdict.reason}")
    for verdict in verdicts:
        for label in verdict.withdrawn:
            print(f"ignored    {verdict.name}=={verdict.pin}: withdrawn advisory {label}")
    counts = {s: sum(v.status == s for v in verdicts) for s in ("clean", "vulnerable", "unchecked")}
    print(
        f"PyPI project JSON audit: {len(verdicts)} pins, {counts['clean']} checked with no known "
        f"vulnerability, {counts['vulnerable']} vulnerable, {counts['unchecked']} not checkable here"
    )
    return 1 if counts["vulnerable"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
