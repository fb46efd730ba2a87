"""Read-only views: certificate search, expiring certificates, today's summary at this terminal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from teller.domain import CertKind, CertStatus, RevocationReason
from teller.errors import IdentityCheckError
from teller.services import queries, revocation


def test_search_by_serial_prefix_name_and_status(world):
    a = world.issue("홍길동").certificate
    b = world.issue("김철수", CertKind.GENERAL).certificate
    assert [c.serial for c in queries.search_certificates(world.deps, world.teller, text=a.serial[:6])] == [a.serial]
    assert [c.serial for c in queries.search_certificates(world.deps, world.teller, text="김철수")] == [b.serial]
    world.approve_and_retry(lambda x: revocation.revoke(world.deps, world.teller, b.serial,
                                                        RevocationReason.AFFILIATION_CHANGED, x))
    revoked = queries.search_certificates(world.deps, world.session("a001"), status=CertStatus.REVOKED)
    assert [c.serial for c in revoked] == [b.serial]


def test_expiring_within_the_window(world):
    cert = world.issue("홍길동").certificate
    assert queries.expiring_certificates(world.deps, world.teller, within_days=30) == []
    world.clock.advance(days=335)  # 2027-10-26 KST: expiry 2027-11-24 is 29 days away
    assert [c.serial for c in queries.expiring_certificates(world.deps, world.teller, 30)] == [cert.serial]
    world.clock.advance(days=30)  # expired: no longer "expiring"
    assert queries.expiring_certificates(world.deps, world.teller, 30) == []


def test_today_summary_counts_this_terminals_day(world):
    world.issue("홍길동", CertKind.GENERAL)
    world.issue("김철수", CertKind.BANK)
    with pytest.raises(IdentityCheckError):
        world.identify("박분실")
    summary = queries.today_summary(world.deps, world.teller)
    assert summary.day.isoformat() == "2026-11-25"
    assert summary.issued == 2 and summary.fees_krw == 4400
    assert summary.counts["customer_identified"] == 2
    assert summary.pending_certificates == 0
    world.clock.advance(days=1)
    tomorrow = queries.today_summary(world.deps, world.teller)
    assert tomorrow.issued == 0 and tomorrow.fees_krw == 0
    assert timedelta(days=1) == tomorrow.day - summary.day
