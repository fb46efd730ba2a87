"""The CMP server's decisions (RFC 4210 §5.3): one request message in, one response message out.

ir/cr/p10cr: PBM with the 참조번호 as senderKID and the 인가코드 as secret; the registration is redeemed at most
once (a conditional UPDATE), five wrong codes lock it. Every transactionID and senderNonce is new (primary keys),
so a replayed message is refused. The certificate is signed, recorded as pending and only final after certConf; an
overdue pending enrolment is revoked (`sweep`), so a service killed between signature and certConf leaves no
certificate that counts as issued. Every refusal is a CMP `error` message with PKIStatus rejection and a failInfo.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ca_service.cmp_store import CmpStore, Registration
from teller.domain import CertKind, RevocationReason
from teller.errors import TellerError
from teller.pki import cmp, profile
from teller.pki.ca import EmbeddedCA
from teller.ports import CertificateRequest

log = logging.getLogger("ca_service.cmp")

GenericClientPolicy = Literal["refuse", "without_identify_data"]


@dataclass(frozen=True, slots=True)
class CmpSettings:
    confirm_timeout: timedelta = timedelta(minutes=5)  # then an unconfirmed certificate is revoked
    implicit_confirm: bool = False  # RFC 4210 implicitConfirm is refused unless switched on
    generic_client: GenericClientPolicy = "without_identify_data"  # a client that sends no VID material
    validity_years: int = 1


class _Refusal(Exception):
    def __init__(self, fail_info: cmp.FailInfo, text: str, secret: bytes | None = None) -> None:
        super().__init__(text)
        self.fail_info, self.text, self.secret = fail_info, text, secret


def _refuse(fail_info: cmp.FailInfo, text: str, secret: bytes | None = None) -> _Refusal:
    return _Refusal(fail_info, text, secret)


class CmpService:
    def __init__(self, ca: EmbeddedCA, store: CmpStore, settings: CmpSettings | None = None) -> None:
        self.ca = ca
        self.store = store
        self.settings = settings or CmpSettings()
        self._name = ca.issuing_cert.subject

    # ------------------------------------------------------------------------------------------- entry
    def handle(self, der: bytes) -> bytes:
        """The DER response to one DER request; never raises for anything the peer sent."""
        now = datetime.now(timezone.utc)
        self.sweep(now)
        request: Any = None
        try:
            request = cmp.decode(der)
            return cmp.encode(self._dispatch(request, now))
        except cmp.CmpError as exc:
            return self._error(request, exc.fail_info, exc.message_en, None)
        except _Refusal as exc:
            return self._error(request, exc.fail_info, exc.text, exc.secret)
        except TellerError as exc:  # the CA refused (a bad key size, …): the peer's request, not our failure
            return self._error(request, cmp.FailInfo.BAD_REQUEST, exc.message_en, None)

    def _error(self, request: Any, fail_info: cmp.FailInfo, text: str, secret: bytes | None) -> bytes:
        log.info("CMP refused: %s (%s)", fail_info.name, text)
        try:
            header = cmp.reply_header(request, sender=self._name) if request is not None else cmp.new_header(
                sender=self._name, recipient=x509.Name([]), transaction_id=secrets.token_bytes(16))
        except cmp.CmpError:
            header = cmp.new_header(sender=self._name, recipient=x509.Name([]), transaction_id=secrets.token_bytes(16))
        body = cmp.error_body(fail_info, text)
        msg = cmp.protect_pbm(header, body, secret) if secret is not None else cmp.unprotected(header, body)
        return cmp.encode(msg)

    def _dispatch(self, request: Any, now: datetime) -> Any:
        info = cmp.header_info(request)
        if not info.transaction_id or not info.sender_nonce:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "transactionID and senderNonce are required")
        if info.body_type in ("ir", "cr", "p10cr"):
            return self._enrol(request, info, now)
        if info.body_type == "certConf":
            return self._confirm(request, info, now)
        if info.body_type == "genm":
            return self._genm(request, info, now)
        raise _refuse(cmp.FailInfo.BAD_REQUEST, f"{info.body_type} is not supported here")

    # ------------------------------------------------------------------------------------------- ir/cr/p10cr
    def _registration(self, info: cmp.HeaderInfo, now: datetime) -> Registration:
        if info.protection != "pbm" or info.sender_kid is None:
            raise _refuse(cmp.FailInfo.WRONG_INTEGRITY, "enrolment needs PBM with the reference number as senderKID")
        reference = info.sender_kid.decode("ascii", "replace")
        registration = self.store.registration(reference)
        if registration is None:
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, "unknown reference number")
        if registration.status not in ("open", "used"):  # a used one is refused after the replay checks
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, f"registration {registration.status}")
        if registration.expires_at <= now:
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, "registration expired")
        return registration

    def _enrol(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        registration = self._registration(info, now)
        cmp.pbm_params(request)  # the iteration cap, before any hashing and before counting an attempt
        try:
            cmp.verify_pbm(request, registration.code)
        except cmp.CmpError:
            self.store.record_wrong_code(registration.reference)
            raise
        secret = registration.code
        assert info.transaction_id is not None and info.sender_nonce is not None
        if not self.store.new_nonce(info.sender_nonce, now):
            raise _refuse(cmp.FailInfo.BAD_SENDER_NONCE, "senderNonce seen before (replay)", secret)
        if not self.store.new_transaction(info.transaction_id, registration.reference, now):
            raise _refuse(cmp.FailInfo.TRANSACTION_ID_IN_USE, "transactionID in use", secret)
        if registration.status == "used":
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, "registration used", secret)
        try:
            requests = cmp.cert_requests(request)
        except cmp.CmpError as exc:
            raise _refuse(exc.fail_info, exc.message_en, secret) from None
        if len(requests) != 1:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "one certificate request per message", secret)
        (req,) = requests
        vid = self._vid(req)
        if not self.store.consume(registration.reference):  # checked again by the database: one redemption
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, "registration already used", secret)
        today = now.astimezone(profile.KST).date()
        last = date(today.year + self.settings.validity_years, today.month, min(today.day, 28)) - timedelta(days=1)
        not_before, not_after = profile.kst_validity(today, last)
        cert = self.ca.issue(CertificateRequest(req.public_key_der, registration.real_name,
                                                CertKind(registration.kind), vid, not_before, not_after))
        header = cmp.reply_header(request, sender=self._name, sender_kid=info.sender_kid)
        our_nonce = bytes(header["senderNonce"])
        self.store.add_pending(cert.serial_number, info.transaction_id, req.cert_req_id, cmp.cert_hash(cert),
                               our_nonce, now + self.settings.confirm_timeout)
        log.info("CMP %s: serial %d signed, waiting for certConf", info.body_type, cert.serial_number)
        kind = {"ir": "ip", "cr": "cp", "p10cr": "cp"}[info.body_type]
        body = cmp.cert_rep_body(kind, req.cert_req_id, cert, list(self.ca.chain()))
        return cmp.protect_pbm(header, body, secret)

    def _vid(self, req: cmp.CertReq) -> bytes | None:
        if req.reg_info:  # VID material of the customer's own client: not accepted until its check exists
            raise _refuse(cmp.FailInfo.UNACCEPTED_EXTENSION, "VID material in regInfo is not supported yet")
        if self.settings.generic_client == "refuse":
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "no VID material: this CA issues only Korean-profile certificates")
        return None

    # ------------------------------------------------------------------------------------------- certConf
    def _confirm(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        assert info.transaction_id is not None and info.sender_nonce is not None
        known, reference = self.store.transaction_reference(info.transaction_id)
        if not known or reference is None:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "certConf for an unknown transaction")
        registration = self.store.registration(reference)
        if registration is None:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "certConf for an unknown transaction")
        secret = registration.code
        cmp.verify_pbm(request, secret)
        if not self.store.new_nonce(info.sender_nonce, now):
            raise _refuse(cmp.FailInfo.BAD_SENDER_NONCE, "senderNonce seen before (replay)", secret)
        waiting = {p.cert_req_id: p for p in self.store.pending_of(info.transaction_id) if p.status == "pending"}
        confirms = cmp.cert_confirms(request)
        if not waiting or not confirms:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "nothing waits for confirmation in this transaction", secret)
        for confirm in confirms:
            entry = waiting.get(confirm.cert_req_id)
            if entry is None or info.recip_nonce != entry.our_nonce:
                raise _refuse(cmp.FailInfo.BAD_RECIPIENT_NONCE if entry else cmp.FailInfo.BAD_CERT_ID,
                              "certConf does not answer our response", secret)
            if not confirm.accepted:
                self._revoke_pending(entry.serial, now)
            elif confirm.cert_hash != entry.cert_hash:
                self._revoke_pending(entry.serial, now)
                raise _refuse(cmp.FailInfo.BAD_CERT_ID, "certHash does not match the issued certificate", secret)
            elif not self.store.settle(entry.serial, "confirmed"):
                raise _refuse(cmp.FailInfo.BAD_REQUEST, "the confirmation period is over", secret)
            else:
                log.info("CMP certConf: serial %d confirmed", entry.serial)
        header = cmp.reply_header(request, sender=self._name, sender_kid=info.sender_kid)
        return cmp.protect_pbm(header, cmp.pki_conf_body(), secret)

    def _revoke_pending(self, serial: int, now: datetime) -> None:
        if self.store.settle(serial, "revoked"):
            self.ca.revoke(serial, RevocationReason.CESSATION_OF_OPERATION, now)

    def sweep(self, now: datetime) -> list[int]:
        """Revoke the certificates whose certConf did not come in time (another worker may race: settle decides)."""
        swept = []
        for serial in self.store.overdue(now):
            if self.store.settle(serial, "revoked"):
                self.ca.revoke(serial, RevocationReason.CESSATION_OF_OPERATION, now)
                swept.append(serial)
        return swept

    # ------------------------------------------------------------------------------------------- genm
    def _genm(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        header = cmp.reply_header(request, sender=self._name)
        return cmp.unprotected(header, cmp.genp_body(list(self.ca.chain())))


def spki_of(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
