"""A CA folder, a CMP state database and the CMP service as a real uvicorn process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from ca_service.cmp_store import CmpStore
from teller.config import CAIdentity
from teller.pki.ca import EmbeddedCA

from .cmp_server import PASSPHRASE

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
        return EmbeddedCA.open(self.ca_dir, CAIdentity(), PASSPHRASE)

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
def ca_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ca_dir = tmp_path_factory.mktemp("cmpca") / "ca"
    EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    return ca_dir


@pytest.fixture(scope="module")
def cmp_server(ca_home: Path) -> Iterator[CmpServer]:
    server = start_server(ca_home, f"sqlite:///{ca_home.parent / 'cmp.db'}")
    try:
        yield server
    finally:
        server.stop()
