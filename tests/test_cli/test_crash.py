"""Crash consistency: the issuing process is SIGKILLed between the CA signature and the media write (and at the
neighbouring points); after a restart, reconciliation leaves nothing the CA signed unaccounted for.

The kill is installed by `crash_teller.py`, the `teller` command wrapped in the test's own subprocess: production
code has no crash switch.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from teller.config import load_settings
from teller.domain import CertStatus

CRASH_TELLER = Path(__file__).with_name("crash_teller.py")


def _deps(home):
    from cli.wiring import build_deps

    return build_deps(load_settings(home, env={}))


def _crl(deps) -> dict[int, object]:
    crl = x509.load_der_x509_crl(deps.ca.crl())
    return {e.serial_number: e.extensions.get_extension_for_class(x509.CRLReason).value.reason for e in crl}


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after_sign", "before_record", "after_write"])
def test_killed_issuance_is_reconciled(cli_home, cli_env, point):
    from teller.media import list_certificate_folders, recover_media
    from teller.services.audit import verify_audit_chain
    from teller.services.reconcile import reconcile

    request = cli_home.issue_request()
    path = cli_home.home.parent / "issue.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(CRASH_TELLER), point, "--home", str(cli_home.home), "issue",
                           "--request", str(path)], capture_output=True, text=True, env=cli_env(), timeout=120)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)

    deps = _deps(cli_home.home)
    try:
        serials = list(deps.ca.issued_serials())
        assert len(serials) == 1
        serial = format(serials[0], "x")
        with deps.store.unit_of_work() as uow:
            row = uow.certificates.get(serial)
        folders = list_certificate_folders(cli_home.media)
        if point == "before_record":
            assert row is None  # the CA knows a serial the database does not
        else:
            assert row.status is CertStatus.PENDING
        if point == "after_write":
            assert len(folders) == 1 and folders[0].has_cert and folders[0].has_key  # complete, never partial
        else:
            assert folders == []

        report = reconcile(deps, lease=timedelta(0))  # the owner was killed: its lease is over
        assert _crl(deps)[serials[0]] == x509.ReasonFlags.cessation_of_operation
        with deps.store.unit_of_work() as uow:
            row = uow.certificates.get(serial)
            pending = uow.certificates.with_status(CertStatus.PENDING)
        assert pending == []
        if point == "before_record":
            assert report.unknown_revoked == [serial] and row is None
        else:
            assert report.pending_failed == [serial] and row.status is CertStatus.FAILED
        events = list(deps.store.iter_audit())
        fixes = [e for e in events if e.action == "reconcile"]
        assert [e.subject for e in fixes] == [serial] and fixes[0].details["why"]
        issue_results = [e.result for e in events if e.action == "issue"]
        assert issue_results == (["started"] if point == "before_record" else ["started", "signed"])
        assert verify_audit_chain(deps.store).ok
        # a second start finds nothing to do; the media holds no hidden leftovers
        assert not reconcile(deps, lease=timedelta(0)).changed
        recover_media(cli_home.media)
        assert not [p for p in cli_home.media.rglob(".*")]
    finally:
        deps.store.dispose()

    # after the restart the customer can be served normally
    code, out, _ = cli_home.request("issue", request)
    assert code == 0, out
    assert out["serial"] != serial
