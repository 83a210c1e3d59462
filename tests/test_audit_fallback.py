"""scripts/audit's fallback (scripts/audit_pypi.py): the verdict on a pin from PyPI's
per-project JSON, whose `vulnerabilities` describe the latest release only."""

import importlib.util
import sys
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parent.parent / "scripts" / "audit_pypi.py"
_spec = importlib.util.spec_from_file_location("audit_pypi", _path)
audit_pypi = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("audit_pypi", audit_pypi)  # dataclasses look their module up there
_spec.loader.exec_module(audit_pypi)
judge = audit_pypi.judge


def project(latest, *vulnerabilities):
    return {"info": {"version": latest}, "releases": {}, "vulnerabilities": list(vulnerabilities)}


def advisory(id_, fixed_in, *, aliases=("CVE-2026-0001",), withdrawn=None):
    return {
        "id": id_, "aliases": list(aliases), "fixed_in": list(fixed_in), "withdrawn": withdrawn,
        "summary": "s", "details": "d", "link": f"https://osv.dev/vulnerability/{id_}", "source": "osv",
    }


def test_latest_release_with_an_empty_list_is_clean():
    verdict = judge("jinja2", "3.1.6", project("3.1.6"))
    assert verdict.status == "clean"
    assert verdict.advisories == ()


def test_latest_release_listed_as_vulnerable_fails_with_the_fix():
    verdict = judge("demo", "2.0", project("2.0", advisory("PYSEC-2026-1", ["2.0.1"])))
    assert verdict.status == "vulnerable"
    assert verdict.advisories == ("PYSEC-2026-1 (CVE-2026-0001)",)
    assert "fixed in 2.0.1" in verdict.reason


def test_latest_release_listed_without_a_fix_fails():
    verdict = judge("demo", "2.0", project("2.0", advisory("GHSA-aaaa-bbbb-cccc", [])))
    assert verdict.status == "vulnerable"
    assert "no fixed release yet" in verdict.reason


def test_older_pin_below_the_fix_of_an_advisory_of_the_latest_is_vulnerable():
    # The latest (3.1.5) is listed; the fix (3.1.6) is above our pin too.
    verdict = judge("demo", "3.1.2", project("3.1.5", advisory("PYSEC-2026-2", ["2.2.18", "3.0.12", "3.1.6"])))
    assert verdict.status == "vulnerable"
    assert verdict.advisories == ("PYSEC-2026-2 (CVE-2026-0001)",)
    assert "fixed in 3.1.6" in verdict.reason


def test_older_pin_in_another_series_than_the_fix_below_it_is_still_vulnerable():
    # 2.2.18 <= 3.0.5 but fixes the 2.2 series; 3.0 is fixed only in 3.0.12.
    verdict = judge("demo", "3.0.5", project("3.1.5", advisory("PYSEC-2026-2", ["2.2.18", "3.0.12", "3.1.6"])))
    assert verdict.status == "vulnerable"
    assert "3.0.12" in verdict.reason


def test_pin_carrying_the_fix_is_not_vulnerable_but_older_than_latest_so_unchecked():
    verdict = judge("demo", "2.2.20", project("3.1.5", advisory("PYSEC-2026-2", ["2.2.18", "3.0.12", "3.1.6"])))
    assert verdict.status == "unchecked"
    assert verdict.advisories == ()
    assert "upgrade to 3.1.5" in verdict.reason


def test_older_pin_with_an_empty_list_for_the_latest_cannot_be_proven_clean():
    # Vulnerabilities fixed between 1.0 and 1.4 would not be listed for 1.4.
    verdict = judge("demo", "1.0", project("1.4"))
    assert verdict.status == "unchecked"
    assert verdict.reason == (
        "not checkable here: upgrade to 1.4 or audit with pip-audit where a vulnerability service is reachable"
    )


def test_withdrawn_advisory_is_ignored_and_named():
    document = project("2.0", advisory("PYSEC-2022-9", ["2.1"], withdrawn="2022-06-28T16:39:06Z"))
    verdict = judge("demo", "2.0", document)
    assert verdict.status == "clean"
    assert verdict.withdrawn == ("PYSEC-2022-9 (CVE-2026-0001)",)
    # Withdrawn beside a live one: only the live one counts.
    document["vulnerabilities"].append(advisory("PYSEC-2026-3", ["2.0.2"], aliases=()))
    verdict = judge("demo", "2.0", document)
    assert verdict.status == "vulnerable"
    assert verdict.advisories == ("PYSEC-2026-3",)


def test_pin_newer_than_the_latest_release_is_unchecked():
    verdict = judge("demo", "3.0rc1", project("2.9"))
    assert verdict.status == "unchecked"
    assert "newer than PyPI's latest release 2.9" in verdict.reason


@pytest.mark.parametrize("document", [{"info": {"version": "1.0"}}, {"info": {}, "vulnerabilities": []}, {}])
def test_document_without_the_listing_or_the_latest_version_is_unchecked(document):
    assert judge("demo", "1.0", document).status == "unchecked"


def test_read_pins_takes_name_and_version_of_each_lock_line(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# pyproject.toml sha256: x\n"
        "Typing_Extensions==4.16.0 \\\n    --hash=sha256:ab\n    # via pydantic\n"
        "jinja2==3.1.6 \\\n    --hash=sha256:cd\n"
    )
    assert audit_pypi.read_pins([str(lock)]) == {
        ("typing-extensions", "4.16.0"): [str(lock)],
        ("jinja2", "3.1.6"): [str(lock)],
    }
