"""The CA service as a real process (CMP: tests.test_ca_service.cmp_server over a bare CA folder, see below): `teller ca serve` on a free loopback port over a home with a CA and a few
certificates, stopped by the fixture (SIGTERM to its process group, then SIGKILL)."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ca_service.cmp_store import CmpStore
from teller.config import CAIdentity, load_settings
from teller.domain import CertKind
from teller.pki.ca import EmbeddedCA
from teller.ports import CertificateRequest
from teller.security.field_crypto import FieldCrypto, load_or_create_master_key

from .cmp_server import PASSPHRASE as CMP_PASSPHRASE

TELLER = Path(sys.executable).with_name("teller")
CERTS = 6


@dataclass(frozen=True)
class CaHome:
    home: Path
    ca: EmbeddedCA  # this test process's own handle: revocations made here are another process's to the service
    certs: tuple[Path, ...]  # PEM files of issued certificates
    issuing_pem: Path
    root_pem: Path

    def serial(self, index: int) -> int:
        return x509.load_pem_x509_certificate(self.certs[index].read_bytes()).serial_number


def make_ca_home(base: Path, certs: int = CERTS) -> CaHome:
    home = base / "home"
    settings = load_settings(home, env={})
    passphrase = FieldCrypto(load_or_create_master_key(settings.secrets_dir, env={})).ca_passphrase()
    ca = EmbeddedCA.from_settings(settings, passphrase)
    spki = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # one key: the CA does not mind
    now = datetime.now(timezone.utc)
    paths = []
    for i in range(certs):
        cert = ca.issue(CertificateRequest(spki, f"시험{i}", CertKind.BANK, bytes(32), now - timedelta(days=1),
                                           now + timedelta(days=365)))
        path = base / f"c{i}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths.append(path)
    issuing, root = ca.chain()
    (base / "issuing.pem").write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    (base / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return CaHome(home, ca, tuple(paths), base / "issuing.pem", base / "root.pem")


def teller_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELLER_")}
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    return env


@dataclass(frozen=True)
class Service:
    url: str
    log: Path  # the service's stderr

    @property
    def ocsp(self) -> str:
        return self.url + "/ocsp"


@contextmanager
def serve(home: Path, workers: int, log: Path) -> Iterator[Service]:
    """`teller ca serve --listen 127.0.0.1:0 --workers N`, ready (answers HTTP) when yielded."""
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(TELLER), "--home", str(home), "ca", "serve", "--listen", "127.0.0.1:0",
                                 "--workers", str(workers)], stdout=subprocess.PIPE, stderr=err, env=teller_env(),
                                start_new_session=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline().decode() if ready else ""
        assert line.startswith("listening on http://"), (line, log.read_text(errors="replace"))
        service = Service(line.split()[-1], log)
        for _ in range(300):  # the socket is bound; the workers may still be importing
            try:
                httpx.get(service.url + "/cps", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                select.select([], [], [], 0.1)
        yield service
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="module")
def ca_home(tmp_path_factory: pytest.TempPathFactory) -> CaHome:
    return make_ca_home(tmp_path_factory.mktemp("ca-service"))


@pytest.fixture(scope="module")
def service(ca_home: CaHome) -> Iterator[Service]:
    """Two worker processes, as in production."""
    with serve(ca_home.home, 2, ca_home.home.parent / "service.log") as running:
        yield running


def openssl(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd)


# ------------------------------------------------------------------------------------------------ CMP
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CmpServer:
    ca_dir: Path
    url: str  # database URL
    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}/pkix/"

    def store(self) -> CmpStore:
        return CmpStore(self.url, self.ca_dir)

    def ca(self) -> EmbeddedCA:
        return EmbeddedCA.open(self.ca_dir, CAIdentity(), CMP_PASSPHRASE)

    def register(self, reference: str, code: str, name: str = "홍길동", kind: str = "bank") -> None:
        store = self.store()
        try:
            store.add_registration(reference, code.encode(), name, kind, datetime.now(timezone.utc) + timedelta(days=7))
        finally:
            store.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def start_server(ca_dir: Path, url: str, confirm_s: float = 300.0) -> CmpServer:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.test_ca_service.cmp_server", str(ca_dir), url, str(port),
                             str(confirm_s)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the CMP service exited at start")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return CmpServer(ca_dir, url, port, proc)
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(timeout=10)
    raise RuntimeError("the CMP service did not start in 30 s")


@pytest.fixture(scope="module")
def cmp_ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ca_dir = tmp_path_factory.mktemp("cmpca") / "ca"
    EmbeddedCA.open(ca_dir, CAIdentity(), CMP_PASSPHRASE)
    return ca_dir


@pytest.fixture(scope="module")
def cmp_server(cmp_ca_dir: Path) -> Iterator[CmpServer]:
    server = start_server(cmp_ca_dir, f"sqlite:///{cmp_ca_dir.parent / 'cmp.db'}")
    try:
        yield server
    finally:
        server.stop()
