"""CRLs over HTTP for the issuing CA and the root, the CA certificates and the CPS: what certificates' CDP/AIA name.

Always fresh: a CRL is served only while it lists exactly what the CA's journal says is revoked and is younger than
half its validity; otherwise a new one is signed (CRL number rising). The published CRLs are files in the CA folder
(issuing.crl, root.crl) shared by every worker process, written under a file lock, so all workers serve the same
CRL and the numbers a client sees never go back. Between changes a request costs two stats.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from teller.config import CPS_PATH, ISSUING_CERT_PATH, ISSUING_CRL_PATH, ROOT_CERT_PATH, ROOT_CRL_PATH
from teller.domain import RevocationReason
from teller.pki.ca import CRL_VALIDITY, JOURNAL_NAME, REASON_FLAGS, ROOT_CRL_VALIDITY, EmbeddedCA, Revocation, write_atomic
from teller.ports import Clock

CRL_TYPE = "application/pkix-crl"
CERT_TYPE = "application/pkix-cert"
ISSUING_CRL_FILE = "issuing.crl"
ROOT_CRL_FILE = "root.crl"
_Entries = dict[int, tuple[x509.ReasonFlags | None, datetime]]


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _entries_of(crl: x509.CertificateRevocationList) -> _Entries:
    out: _Entries = {}
    for entry in crl:
        try:
            reason: x509.ReasonFlags | None = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        out[entry.serial_number] = (reason, entry.revocation_date_utc)
    return out


def _expected(revoked: dict[int, Revocation]) -> _Entries:
    """What the CRL must list; whole seconds, as a CRL's times are."""
    return {s: (None if r.reason is RevocationReason.UNSPECIFIED else REASON_FLAGS[r.reason], r.when.replace(microsecond=0))
            for s, r in revoked.items()}


@dataclass(frozen=True, slots=True)
class _Published:
    seen: tuple[int, int, int]
    der: bytes
    entries: _Entries
    refresh_at: datetime


class PublishedCrl:
    """One CA's CRL file in the CA folder, re-signed by `sign(previous_der)` when stale or not matching `expected()`."""

    def __init__(self, path: Path, validity: timedelta, expected: Callable[[], _Entries],
                 sign: Callable[[bytes | None], bytes], clock: Clock) -> None:
        self._path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._validity = validity
        self._expected = expected
        self._sign = sign
        self._clock = clock
        self._published: _Published | None = None
        self._thread_lock = threading.Lock()

    def current(self) -> bytes:
        expected = self._expected()
        published = self._load()
        if self._fresh(published, expected):
            assert published is not None
            return published.der
        with self._thread_lock, self._file_lock():
            published = self._load()  # another worker may have just published it
            if self._fresh(published, expected):
                assert published is not None
                return published.der
            der = self._sign(published.der if published else None)
            write_atomic(self._path, der, 0o644)
            published = self._load()
            assert published is not None
            return published.der

    def _fresh(self, published: _Published | None, expected: _Entries) -> bool:
        return published is not None and published.entries == expected and self._clock.now() < published.refresh_at

    def _load(self) -> _Published | None:
        seen = _stat(self._path)
        if seen is None:
            return None
        if self._published is not None and self._published.seen == seen:
            return self._published
        try:
            der = self._path.read_bytes()
            crl = x509.load_der_x509_crl(der)
        except (OSError, ValueError):
            return None  # damaged or vanished: sign a new one
        self._published = _Published(seen, der, _entries_of(crl), crl.last_update_utc + self._validity / 2)
        return self._published

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class RevocationWatch:
    """The CA's revocations, re-read only when the journal file changed (one stat a call)."""

    def __init__(self, ca: EmbeddedCA) -> None:
        self._ca = ca
        self._journal = ca.ca_dir / JOURNAL_NAME
        self._seen: tuple[int, int, int] | None = None
        self._entries: _Entries = {}
        self._lock = threading.Lock()

    def entries(self) -> _Entries:
        seen = _stat(self._journal)
        if seen != self._seen:
            with self._lock:
                self._entries = _expected(self._ca.status_book().revoked)
                self._seen = seen
        return self._entries


def publications(ca: EmbeddedCA, passphrase: bytes, clock: Clock) -> tuple[PublishedCrl, PublishedCrl]:
    """The issuing CA's and the root's published CRLs."""
    watch = RevocationWatch(ca)
    issuing = PublishedCrl(ca.ca_dir / ISSUING_CRL_FILE, CRL_VALIDITY, watch.entries, lambda _previous: ca.crl(), clock)
    root = PublishedCrl(ca.ca_dir / ROOT_CRL_FILE, ROOT_CRL_VALIDITY, dict,
                        lambda previous: ca.root_crl(passphrase, previous), clock)
    return issuing, root


CPS_TEXT = ("branch-teller TEST CA: certificates issued for training and testing only, not for production use.\n"
            "이 인증서는 시험용 인증서입니다.\n")


def routes(ca: EmbeddedCA, passphrase: bytes, clock: Clock) -> list[BaseRoute]:
    issuing_crl, root_crl = publications(ca, passphrase, clock)
    issuing_der = ca.issuing_cert.public_bytes(serialization.Encoding.DER)
    root_der = ca.root_cert.public_bytes(serialization.Encoding.DER)

    async def issuing(_: Request) -> Response:
        return Response(issuing_crl.current(), media_type=CRL_TYPE, headers={"Cache-Control": "no-cache"})

    async def root(_: Request) -> Response:
        return Response(root_crl.current(), media_type=CRL_TYPE, headers={"Cache-Control": "no-cache"})

    async def issuing_cert(_: Request) -> Response:
        return Response(issuing_der, media_type=CERT_TYPE)

    async def root_cert(_: Request) -> Response:
        return Response(root_der, media_type=CERT_TYPE)

    async def cps(_: Request) -> Response:
        return Response(CPS_TEXT, media_type="text/plain; charset=utf-8")

    return [Route(ISSUING_CRL_PATH, issuing, methods=["GET"]), Route(ROOT_CRL_PATH, root, methods=["GET"]),
            Route(ISSUING_CERT_PATH, issuing_cert, methods=["GET"]), Route(ROOT_CERT_PATH, root_cert, methods=["GET"]),
            Route(CPS_PATH, cps, methods=["GET"])]
