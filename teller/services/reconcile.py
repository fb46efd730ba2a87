"""Start-up reconciliation between the embedded CA and the branch database.

After a crash, a power cut or a failed step the two may disagree. Rules (each fix audited as RECONCILE):
- PENDING in the database (signed, never confirmed on media) → revoke at the CA (cessationOfOperation), FAILED;
- a serial the CA signed but the database does not know (killed between signing and the PENDING row) → revoke;
- REVOKED/FAILED in the database but not on the CA's CRL (the CA step failed after the commit) → revoke at the CA;
- on the CRL but ACTIVE in the database (the commit failed after the CA step) → recorded as REVOKED.
Holds past their `hold_until` are revoked first (`expire_holds`).

Another counter's issuance in progress looks exactly like an interrupted one (a PENDING row, or a serial the CA
signed a moment ago), so PENDING rows and unknown serials are touched only once older than `PENDING_LEASE`
(longer than any issuance takes: key, signature, media write and read-back). Reconciliation runs at terminal
start, never as a side effect of a lifecycle command. Every CA revocation it makes is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cryptography import x509

from teller.domain import Action, CertStatus, RevocationReason
from teller.services.context import Deps
from teller.services.revocation import expire_holds, revoke_at_ca
from teller.services.support import audit, serial_hex

_REASONS = {
    x509.ReasonFlags.unspecified: RevocationReason.UNSPECIFIED,
    x509.ReasonFlags.key_compromise: RevocationReason.KEY_COMPROMISE,
    x509.ReasonFlags.affiliation_changed: RevocationReason.AFFILIATION_CHANGED,
    x509.ReasonFlags.superseded: RevocationReason.SUPERSEDED,
    x509.ReasonFlags.cessation_of_operation: RevocationReason.CESSATION_OF_OPERATION,
    x509.ReasonFlags.certificate_hold: RevocationReason.CERTIFICATE_HOLD,
    x509.ReasonFlags.privilege_withdrawn: RevocationReason.PRIVILEGE_WITHDRAWN,
}


@dataclass(slots=True)
class ReconcileReport:
    pending_failed: list[str] = field(default_factory=list)  # PENDING rows revoked and marked FAILED
    unknown_revoked: list[str] = field(default_factory=list)  # CA serials unknown to the DB, revoked
    ca_revocations_completed: list[str] = field(default_factory=list)  # DB revoked, CA now too
    db_revocations_recorded: list[str] = field(default_factory=list)  # CA revoked, DB now too
    holds_expired: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be fixed now (retried next start)

    @property
    def changed(self) -> bool:
        return bool(self.pending_failed or self.unknown_revoked or self.ca_revocations_completed
                    or self.db_revocations_recorded or self.holds_expired)


def _crl_entries(deps: Deps) -> dict[str, RevocationReason | None]:
    crl = x509.load_der_x509_crl(deps.ca.crl())
    entries: dict[str, RevocationReason | None] = {}
    for entry in crl:
        reason = None
        try:
            flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            reason = _REASONS.get(flag)
        except x509.ExtensionNotFound:
            pass
        entries[serial_hex(entry.serial_number)] = reason
    return entries


PENDING_LEASE = timedelta(minutes=15)


def reconcile(deps: Deps, *, lease: timedelta = PENDING_LEASE) -> ReconcileReport:
    """`lease`: how old pending work must be before it counts as abandoned (a test that has just killed the
    owning process passes 0)."""
    report = ReconcileReport(holds_expired=expire_holds(deps))
    now = deps.clock.now()
    cutoff = now - lease
    cessation = RevocationReason.CESSATION_OF_OPERATION

    # 1. PENDING rows older than the lease: the media write was never confirmed
    with deps.store.unit_of_work() as uow:
        pending = [c.serial for c in uow.certificates.with_status(CertStatus.PENDING) if c.created_at <= cutoff]
    for serial in pending:
        signed = deps.ca.knows(int(serial, 16))
        ok = revoke_at_ca(deps, serial, cessation, now) if signed else True
        if not ok:
            report.problems.append(f"{serial}: CA revocation failed")
            continue
        with deps.store.unit_of_work() as uow:
            cert = uow.certificates.get(serial)
            if cert is None or cert.status is not CertStatus.PENDING:
                if signed:  # the owner confirmed meanwhile: the revocation still happened and is recorded
                    audit(uow, deps, None, Action.RECONCILE, "ok", at=now, customer_ref=cert.customer_id if cert else None,
                          subject=serial, fix="pending_revoked_raced", revoked_at_ca=True,
                          why="revoked at the CA while its issuance was being confirmed")
                    uow.commit()
                    report.problems.append(f"{serial}: revoked while being confirmed")
                continue
            cert.status = CertStatus.FAILED
            if signed:
                cert.revoked_at = now
                cert.revocation_reason = cessation
            uow.certificates.update(cert)
            audit(uow, deps, None, Action.RECONCILE, "ok", at=now, customer_ref=cert.customer_id, subject=serial,
                  transaction=cert.transaction, fix="pending_revoked_failed", revoked_at_ca=signed,
                  why="signed but never confirmed on the customer's media (interrupted issuance)")
            uow.commit()
        report.pending_failed.append(serial)

    # 2-4. compare the CA's books and CRL with the database
    revoked_at_ca = _crl_entries(deps)
    for number in deps.ca.issued_serials():
        serial = serial_hex(number)
        with deps.store.unit_of_work() as uow:
            cert = uow.certificates.get(serial)
            on_crl = serial in revoked_at_ca
            if cert is None:
                if on_crl:
                    continue  # already settled by an earlier run (its RECONCILE event exists)
                signed_at = deps.ca.issued_at(number)
                if signed_at is not None and signed_at > cutoff:
                    continue  # another counter may be recording it right now
                if not revoke_at_ca(deps, serial, cessation, now):
                    report.problems.append(f"{serial}: CA revocation failed")
                    continue
                audit(uow, deps, None, Action.RECONCILE, "ok", at=now, subject=serial, fix="unknown_serial_revoked",
                      why="the CA signed a serial the branch database never recorded (interrupted issuance)")
                uow.commit()
                report.unknown_revoked.append(serial)
            elif cert.status in (CertStatus.REVOKED, CertStatus.FAILED) and not on_crl and cert.revoked_at:
                reason = cert.revocation_reason or cessation
                if revoke_at_ca(deps, serial, reason, cert.revoked_at):
                    audit(uow, deps, None, Action.RECONCILE, "ok", at=now, customer_ref=cert.customer_id,
                          subject=serial, fix="ca_revocation_completed", reason=reason.value,
                          why="revoked in the branch database but not yet at the CA")
                    uow.commit()
                    report.ca_revocations_completed.append(serial)
                else:
                    report.problems.append(f"{serial}: CA revocation failed")
            elif cert.status is CertStatus.ACTIVE and on_crl \
                    and revoked_at_ca[serial] is not RevocationReason.CERTIFICATE_HOLD:
                cert.status = CertStatus.REVOKED
                cert.revoked_at = cert.revoked_at or now
                cert.revocation_reason = revoked_at_ca[serial] or RevocationReason.UNSPECIFIED
                uow.certificates.update(cert)
                audit(uow, deps, None, Action.RECONCILE, "ok", at=now, customer_ref=cert.customer_id,
                      subject=serial, fix="db_revocation_recorded", reason=cert.revocation_reason.value,
                      why="revoked at the CA but recorded active in the branch database")
                uow.commit()
                report.db_revocations_recorded.append(serial)
    return report
