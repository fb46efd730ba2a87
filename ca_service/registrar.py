"""The CA's registration desk as the `OnlineRegistrar` port: a registration agent (the branch) registers a customer
and the CA hands back a one-time 참조번호 + 인가코드, which the customer's own CMP client later redeems (`ir` with
PBM: the reference as senderKID, the code as secret; see `ca_service.cmp_service`).

The embedded form writes into the CA service's own database (`Settings.ca_database_url`), the same records
`teller ca serve` answers from, so a code registered at the counter is redeemable at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from ca_service.cmp_store import CmpStore
from teller.domain import CertKind
from teller.errors import StorageError
from teller.ports import Clock, OnlineRegistration, RegistrationState

REFERENCE_DIGITS = 8  # 참조번호: 8 digits, as the customer reads it off the slip
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper and typed at home
CODE_LENGTH = 16  # 80 bits: five tries before the lock, so guessing is hopeless


def new_reference() -> str:
    return str(secrets.randbelow(10**REFERENCE_DIGITS)).zfill(REFERENCE_DIGITS)


def new_auth_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class CaRegistrar:
    def __init__(self, store: CmpStore, clock: Clock, branch_id: str) -> None:
        self.store = store
        self.clock = clock
        self.branch_id = branch_id

    def register(self, real_name: str, kind: CertKind, rrn: str, valid_for: timedelta) -> OnlineRegistration:
        now = self.clock.now()
        expires_at = now + valid_for
        for _ in range(20):  # a reference drawn twice is refused by the primary key; draw again
            reference, code = new_reference(), new_auth_code()
            if self.store.add_registration(reference, code.encode(), real_name, CertKind(kind).value, expires_at,
                                           rrn=rrn, branch_id=self.branch_id, registered_at=now):
                return OnlineRegistration(reference, code, expires_at)
        raise StorageError("참조번호를 만들 수 없습니다 (CA 등록 공간 부족)", "could not draw a free reference number")

    def cancel(self, reference: str) -> bool:
        return self.store.cancel_registration(reference)

    def state(self, reference: str, now: datetime) -> RegistrationState | None:
        found = self.store.registration(reference)
        if found is None:
            return None
        if found.status == "open" and found.expires_at <= now:
            return "expired"
        return _STATES.get(found.status)


    def day_summary(self, since: datetime, until: datetime, now: datetime) -> dict[RegistrationState, int]:
        out: dict[RegistrationState, int] = {}
        for status, expires_at in self.store.registration_states(self.branch_id, since, until):
            state = _STATES.get(status)
            if state == "open" and expires_at <= now:
                state = "expired"
            if state is not None:
                out[state] = out.get(state, 0) + 1
        return out


_STATES: dict[str, RegistrationState] = {"open": "open", "used": "used", "locked": "locked", "cancelled": "cancelled"}
