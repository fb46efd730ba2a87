"""The CMP service's own state, shared by its worker processes: registrations (참조번호 → 인가코드, expiry,
attempts, single use), transactions and nonces (replay refused by primary keys, not by a read-then-write), and the
enrolments that wait for certConf. SQLAlchemy Core; SQLite by default, PostgreSQL by URL; Alembic-migrated
(`ca_service/migrations`, version table `cmp_alembic_version`, so it may share a database with other schemas).

The 인가코드 is the PBM secret, so the service must be able to compute MACs with it: it is kept encrypted
(AES-256-GCM under `cmp-secrets.key`, mode 0600 beside the CA keys), never in plaintext and never in a log.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from typing import Any

from sqlalchemy import (Column, DateTime, Engine, Integer, LargeBinary, MetaData, String, Table, create_engine, event,
                        insert, select, update)
from sqlalchemy.exc import IntegrityError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "cmp_alembic_version"
MAX_CODE_ATTEMPTS = 5
SECRETS_KEY_NAME = "cmp-secrets.key"

metadata = MetaData()
registrations = Table(
    "cmp_registrations", metadata,
    Column("reference", String(64), primary_key=True),
    Column("code_sealed", LargeBinary, nullable=False),  # nonce ‖ AES-GCM(인가코드), bound to the reference
    Column("real_name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False),  # open | used | locked | cancelled
    # nonce ‖ AES-GCM(resident number), bound to the reference: what the customer's VID material is checked
    # against (c002; NULL for registrations made without one)
    Column("rrn_sealed", LargeBinary, nullable=True),
    Column("branch_id", String(16), nullable=True),  # the registration agent's branch (c002)
    Column("registered_at", DateTime(timezone=True), nullable=True),
)
transactions = Table(
    "cmp_transactions", metadata,
    Column("transaction_id", LargeBinary, primary_key=True),
    Column("reference", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
nonces = Table(
    "cmp_nonces", metadata,
    Column("nonce", LargeBinary, primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
pending = Table(
    "cmp_pending", metadata,
    Column("serial", String(24), primary_key=True),
    Column("transaction_id", LargeBinary, nullable=False, index=True),
    Column("cert_req_id", Integer, nullable=False),
    Column("cert_hash", LargeBinary, nullable=False),
    Column("our_nonce", LargeBinary, nullable=False),  # the senderNonce of our ip: the certConf's recipNonce
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # pending | confirmed | revoked
)


@dataclass(frozen=True, slots=True)
class Registration:
    reference: str
    code: bytes
    real_name: str
    kind: str
    expires_at: datetime
    attempts: int
    status: str


@dataclass(frozen=True, slots=True)
class Pending:
    serial: int
    cert_req_id: int
    cert_hash: bytes
    our_nonce: bytes
    status: str


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)  # SQLite drops the zone


def _secrets_key(ca_dir: Path) -> bytes:
    """The key sealing the 인가코드s, created once: written whole to a temporary file, then linked into place, so a
    worker starting at the same moment reads either no file or the whole key."""
    path = ca_dir / SECRETS_KEY_NAME
    if not path.exists():
        tmp = ca_dir / f".{SECRETS_KEY_NAME}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(AESGCM.generate_key(256))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won
        finally:
            tmp.unlink()
    return path.read_bytes()


def make_engine(url: str) -> Engine:
    """An engine; on SQLite, WAL and a busy timeout so the worker processes queue for the write lock.
    (`db.engine` holds the branch database's recipe; the adapters are independent of each other.)"""
    engine = create_engine(url, connect_args={"timeout": 10} if url.startswith("sqlite") else {})
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=FULL")
    return engine


def migrate_schema(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class CmpStore:
    def __init__(self, url: str, ca_dir: Path, *, migrate: bool = True) -> None:
        self.engine = make_engine(url)
        if migrate:
            migrate_schema(self.engine)
        self._aead = AESGCM(_secrets_key(ca_dir))

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------------------------------- registrations
    def _seal(self, value: bytes, reference: str, what: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, value, reference.encode() + what)

    def add_registration(self, reference: str, code: bytes, real_name: str, kind: str, expires_at: datetime,
                         *, rrn: str | None = None, branch_id: str | None = None,
                         registered_at: datetime | None = None) -> bool:
        """False when the reference exists already (the caller draws another one)."""
        return self._insert_unique(insert(registrations).values(
            reference=reference, code_sealed=self._seal(code, reference, b""), real_name=real_name, kind=kind,
            expires_at=expires_at, attempts=0, status="open", branch_id=branch_id, registered_at=registered_at,
            rrn_sealed=None if rrn is None else self._seal(rrn.encode(), reference, b"|rrn")))

    def registration_rrn(self, reference: str) -> str | None:
        with self.engine.connect() as conn:
            sealed = conn.execute(select(registrations.c.rrn_sealed)
                                  .where(registrations.c.reference == reference)).scalar_one_or_none()
        if sealed is None:
            return None
        raw = bytes(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], reference.encode() + b"|rrn").decode()

    def registration_states(self, branch_id: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        """(status, expires_at) of the registrations this branch made in [since, until)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(registrations.c.status, registrations.c.expires_at).where(
                registrations.c.branch_id == branch_id, registrations.c.registered_at >= since,
                registrations.c.registered_at < until)).all()
        return [(str(r.status), _aware(r.expires_at)) for r in rows]

    def cancel_registration(self, reference: str) -> bool:
        """Cancel an open registration (one conditional UPDATE: a redemption racing it wins or loses whole)."""
        with self.engine.begin() as conn:
            result = conn.execute(update(registrations).where(registrations.c.reference == reference,
                                                              registrations.c.status == "open")
                                  .values(status="cancelled"))
        return result.rowcount == 1

    def registration(self, reference: str) -> Registration | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
        if row is None:
            return None
        sealed = bytes(row.code_sealed)
        code = self._aead.decrypt(sealed[:12], sealed[12:], reference.encode())
        return Registration(reference, code, row.real_name, row.kind, _aware(row.expires_at), row.attempts, row.status)

    def record_wrong_code(self, reference: str) -> None:
        """One more wrong 인가코드; the fifth locks the registration (one UPDATE, so concurrent tries all count)."""
        with self.engine.begin() as conn:
            conn.execute(update(registrations).where(registrations.c.reference == reference)
                         .values(attempts=registrations.c.attempts + 1))
            conn.execute(update(registrations).where(registrations.c.reference == reference,
                                                     registrations.c.attempts >= MAX_CODE_ATTEMPTS,
                                                     registrations.c.status == "open").values(status="locked"))

    def consume(self, reference: str) -> bool:
        """Mark the registration used; False when another request redeemed (or locked) it first."""
        with self.engine.begin() as conn:
            result = conn.execute(update(registrations).where(registrations.c.reference == reference,
                                                              registrations.c.status == "open").values(status="used"))
        return result.rowcount == 1

    # ---------------------------------------------------------------------------------------- replay
    def new_transaction(self, transaction_id: bytes, reference: str | None, now: datetime) -> bool:
        """False when the transaction id was used before."""
        return self._insert_unique(insert(transactions).values(transaction_id=transaction_id, reference=reference,
                                                               created_at=now))

    def transaction_reference(self, transaction_id: bytes) -> tuple[bool, str | None]:
        with self.engine.connect() as conn:
            row = conn.execute(select(transactions.c.reference)
                               .where(transactions.c.transaction_id == transaction_id)).first()
        return (False, None) if row is None else (True, row.reference)

    def new_nonce(self, nonce: bytes, now: datetime) -> bool:
        """False when this senderNonce was seen before (a replayed message)."""
        return self._insert_unique(insert(nonces).values(nonce=nonce, seen_at=now))

    def _insert_unique(self, statement: object) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(statement)  # type: ignore[call-overload]
        except IntegrityError:
            return False
        return True

    # ---------------------------------------------------------------------------------------- confirmation
    def add_pending(self, serial: int, transaction_id: bytes, cert_req_id: int, cert_hash: bytes, our_nonce: bytes,
                    deadline: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(pending).values(serial=str(serial), transaction_id=transaction_id,
                                                cert_req_id=cert_req_id, cert_hash=cert_hash, our_nonce=our_nonce,
                                                deadline=deadline, status="pending"))

    def pending_of(self, transaction_id: bytes) -> list[Pending]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(pending).where(pending.c.transaction_id == transaction_id)).all()
        return [Pending(int(r.serial), r.cert_req_id, bytes(r.cert_hash), bytes(r.our_nonce), r.status) for r in rows]

    def settle(self, serial: int, status: str) -> bool:
        """pending → confirmed|revoked; False when it was no longer pending (confirmed or swept meanwhile)."""
        with self.engine.begin() as conn:
            result = conn.execute(update(pending).where(pending.c.serial == str(serial), pending.c.status == "pending")
                                  .values(status=status))
        return result.rowcount == 1

    def overdue(self, now: datetime) -> list[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(pending.c.serial).where(pending.c.status == "pending",
                                                               pending.c.deadline < now)).all()
        return [int(r.serial) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(pending.c.status, pending.c.serial)).all()
        out: dict[str, int] = {}
        for row in rows:
            out[row.status] = out.get(row.status, 0) + 1
        return out
