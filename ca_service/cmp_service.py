"""The CMP server's decisions (RFC 4210 §5.3): one request message in, one response message out.

ir/cr/p10cr: PBM with the 참조번호 as senderKID and the 인가코드 as secret; the registration is redeemed at most
once (a conditional UPDATE), five wrong codes lock it. Every transactionID and senderNonce is new (primary keys),
so a replayed message is refused. The certificate is signed, recorded as pending and only final after certConf; an
overdue pending enrolment is revoked (`sweep`), so a service killed between signature and certConf leaves no
certificate that counts as issued. Every refusal is a CMP `error` message with PKIStatus rejection and a failInfo.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ca_service.cmp_store import CmpStore, Registration
from teller.domain import CertKind, RevocationReason
from teller.errors import TellerError
from teller.pki import cmp, profile, vid_transfer
from teller.pki import vid as vid_rules
from teller.pki.ca import EmbeddedCA
from teller.ports import CertificateRequest

log = logging.getLogger("ca_service.cmp")
_REASONS = {0: RevocationReason.UNSPECIFIED, 1: RevocationReason.KEY_COMPROMISE, 3: RevocationReason.AFFILIATION_CHANGED,
            4: RevocationReason.SUPERSEDED, 5: RevocationReason.CESSATION_OF_OPERATION,
            6: RevocationReason.CERTIFICATE_HOLD, 9: RevocationReason.PRIVILEGE_WITHDRAWN}  # RFC 5280 CRLReason

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
    def __init__(self, ca: EmbeddedCA, store: CmpStore, signer: tuple[x509.Certificate, rsa.RSAPrivateKey],
                 settings: CmpSettings | None = None) -> None:
        self.ca = ca
        self.store = store
        self.settings = settings or CmpSettings()
        self._name = ca.issuing_cert.subject
        self._signer = signer  # signs our answers to signature-protected requests (EmbeddedCA.cmp_signer)

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
        """An error message: PBM with the registration's secret once the request's MAC verified, signed by our CMP
        signer for a signature-protected request, otherwise unprotected (a client reads it with -unprotected_errors)."""
        log.info("CMP refused: %s (%s)", fail_info.name, text)
        body = cmp.error_body(fail_info, text)
        try:
            if request is not None and secret is not None:
                return cmp.encode(cmp.protect_pbm(cmp.reply_header(request, sender=self._name), body, secret))
            if request is not None and cmp.header_info(request).protection == "signature":
                return cmp.encode(self._signed(request, body))
            if request is not None:
                return cmp.encode(cmp.unprotected(cmp.reply_header(request, sender=self._name), body))
        except cmp.CmpError:
            pass  # a header we cannot answer in kind: a bare error with a fresh transaction id
        header = cmp.new_header(sender=self._name, recipient=x509.Name([]), transaction_id=secrets.token_bytes(16))
        return cmp.encode(cmp.unprotected(header, body))

    def _dispatch(self, request: Any, now: datetime) -> Any:
        info = cmp.header_info(request)
        if not info.transaction_id or not info.sender_nonce:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "transactionID and senderNonce are required")
        if info.body_type in ("ir", "cr", "p10cr"):
            return self._enrol(request, info, now)
        if info.body_type == "certConf":
            return self._confirm(request, info, now)
        if info.body_type == "kur":
            return self._update(request, info, now)
        if info.body_type == "rr":
            return self._revoke(request, info, now)
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
        vid = self._registered_vid(req, registration, info, secret)
        if not self.store.consume(registration.reference):  # checked again by the database: one redemption
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, "registration already used", secret)
        not_before, not_after = self._validity(now)
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

    def _registered_vid(self, req: cmp.CertReq, registration: Registration, info: cmp.HeaderInfo,
                        secret: bytes) -> bytes | None:
        """The VID for a PBM enrolment: from the customer's sealed VID material (teller.pki.vid_transfer) checked
        against the resident number the branch registered; without material, the generic-client policy."""
        material = req.reg_info.get(vid_transfer.VID_MATERIAL_OID)
        if material is None:
            return self._vid(req, secret)
        rrn = self.store.registration_rrn(registration.reference)
        if rrn is None:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "this registration holds no resident number to check a VID", secret)
        assert info.transaction_id is not None
        try:
            random_num, claimed = vid_transfer.open_sealed(secret, info.transaction_id, registration.reference.encode(),
                                                           material)
        except TellerError as exc:
            raise _refuse(cmp.FailInfo.BAD_DATA_FORMAT, exc.message_en, secret) from None
        expected = vid_rules.compute_vid(rrn, random_num)
        if not hmac.compare_digest(expected, claimed):
            raise _refuse(cmp.FailInfo.BAD_CERT_TEMPLATE,
                          "the resident number does not match the registration (VID differs)", secret)
        return expected

    def _vid(self, req: cmp.CertReq, secret: bytes | None) -> bytes | None:
        if req.reg_info:  # VID material of the customer's own client: not accepted until its check exists
            raise _refuse(cmp.FailInfo.UNACCEPTED_EXTENSION, "VID material in regInfo is not supported yet", secret)
        if self.settings.generic_client == "refuse":
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "no VID material: this CA issues only Korean-profile certificates",
                          secret)
        return None

    # ------------------------------------------------------------------------------------------- certConf
    def _confirm(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        assert info.transaction_id is not None and info.sender_nonce is not None
        known, reference = self.store.transaction_reference(info.transaction_id)
        if not known:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "certConf for an unknown transaction")
        secret: bytes | None = None
        if reference is None:  # a kur's transaction: confirmed under signature protection
            self._trusted_signer(request, info, now)
        else:
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
        if secret is None:
            return self._signed(request, cmp.pki_conf_body())
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

    # ------------------------------------------------------------------------------------------- rr
    def _trusted_signer(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> x509.Certificate:
        """The certificate of ours whose key signed request: issued by our CA, known, unrevoked, unexpired."""
        if info.protection != "signature":
            raise _refuse(cmp.FailInfo.WRONG_INTEGRITY, f"{info.body_type} needs signature protection")
        certs = cmp.extra_certs(request)
        if not certs:
            raise _refuse(cmp.FailInfo.SIGNER_NOT_TRUSTED, "the signer's certificate is not in extraCerts")
        signer = certs[0]
        try:
            signer.verify_directly_issued_by(self.ca.issuing_cert)
        except (ValueError, TypeError, InvalidSignature):
            raise _refuse(cmp.FailInfo.SIGNER_NOT_TRUSTED, "the signer's certificate is not from this CA") from None
        if not self.ca.knows(signer.serial_number):
            raise _refuse(cmp.FailInfo.SIGNER_NOT_TRUSTED, "the signer's certificate is unknown to this CA")
        cmp.verify_signature(request, signer)
        if signer.serial_number in self.ca.revoked_serials():
            raise _refuse(cmp.FailInfo.CERT_REVOKED, "the signer's certificate is revoked")
        if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
            raise _refuse(cmp.FailInfo.BAD_TIME, "the signer's certificate is not valid now")
        return signer

    def _signed_by_subscriber(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> x509.Certificate:
        """_trusted_signer of a request that opens a transaction: its transactionID and senderNonce are new."""
        signer = self._trusted_signer(request, info, now)
        assert info.transaction_id is not None and info.sender_nonce is not None
        if not self.store.new_nonce(info.sender_nonce, now):
            raise _refuse(cmp.FailInfo.BAD_SENDER_NONCE, "senderNonce seen before (replay)")
        if not self.store.new_transaction(info.transaction_id, None, now):
            raise _refuse(cmp.FailInfo.TRANSACTION_ID_IN_USE, "transactionID in use")
        return signer

    def _update(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        """kur: a new certificate for the same subscriber and kind, on a new key, signed with the current one."""
        signer = self._signed_by_subscriber(request, info, now)
        assert info.transaction_id is not None
        requests = cmp.cert_requests(request)
        if len(requests) != 1:
            raise _refuse(cmp.FailInfo.BAD_REQUEST, "one certificate request per message")
        (req,) = requests
        if req.public_key_der == spki_of(signer):
            raise _refuse(cmp.FailInfo.BAD_CERT_TEMPLATE, "a key update needs a new key")
        name, oid = profile.real_name_of(signer), profile.policy_oid_of(signer)
        kind = CertKind.from_policy_oid(oid) if oid else None
        if name is None or kind is None:
            raise _refuse(cmp.FailInfo.BAD_CERT_ID, "the current certificate is not a subscriber certificate of ours")
        vid = self._carried_vid(signer) if not req.reg_info else self._vid(req, None)
        not_before, not_after = self._validity(now)
        cert = self.ca.issue(CertificateRequest(req.public_key_der, name, kind, vid, not_before, not_after))
        cert_key, key = self._signer
        header = cmp.reply_header(request, sender=cert_key.subject)
        self.store.add_pending(cert.serial_number, info.transaction_id, req.cert_req_id, cmp.cert_hash(cert),
                               bytes(header["senderNonce"]), now + self.settings.confirm_timeout)
        log.info("CMP kur: serial %d signed for %d, waiting for certConf", cert.serial_number, signer.serial_number)
        body = cmp.cert_rep_body("kup", req.cert_req_id, cert, list(self.ca.chain()))
        return cmp.protect_signature(header, body, key, [cert_key, self.ca.issuing_cert])

    def _carried_vid(self, signer: x509.Certificate) -> bytes | None:
        """A renewal keeps the subscriber's VID: the customer's client keeps the randomNum in the new key file, so
        the VID still binds the new certificate to the same resident number. Without one, the generic policy."""
        try:
            return vid_rules.read_identify_data(signer).vid
        except (TellerError, ValueError):
            if self.settings.generic_client == "refuse":
                raise _refuse(cmp.FailInfo.BAD_REQUEST, "the current certificate carries no VID to renew") from None
            return None

    def _validity(self, now: datetime) -> tuple[datetime, datetime]:
        today = now.astimezone(profile.KST).date()
        last = date(today.year + self.settings.validity_years, today.month, min(today.day, 28)) - timedelta(days=1)
        return profile.kst_validity(today, last)

    def _revoke(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        signer = self._signed_by_subscriber(request, info, now)
        revocations = cmp.revocation_requests(request)
        if any(r.serial != signer.serial_number for r in revocations):  # a subscriber revokes only its own
            raise _refuse(cmp.FailInfo.NOT_AUTHORIZED, "a certificate may revoke only itself")
        for rev in revocations:
            reason = _REASONS.get(rev.reason if rev.reason is not None else 0)
            if reason is None:
                raise _refuse(cmp.FailInfo.BAD_REQUEST, f"unsupported revocation reason {rev.reason}")
            self.ca.revoke(rev.serial, reason, now)
            log.info("CMP rr: serial %d revoked (%s)", rev.serial, reason.value)
        return self._signed(request, cmp.rev_rep_body(len(revocations)))

    def _signed(self, request: Any, body: Any) -> Any:
        cert, key = self._signer
        header = cmp.reply_header(request, sender=cert.subject)
        return cmp.protect_signature(header, body, key, [cert, self.ca.issuing_cert])

    # ------------------------------------------------------------------------------------------- genm
    def _genm(self, request: Any, info: cmp.HeaderInfo, now: datetime) -> Any:
        header = cmp.reply_header(request, sender=self._name)
        return cmp.unprotected(header, cmp.genp_body(list(self.ca.chain())))


def spki_of(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
