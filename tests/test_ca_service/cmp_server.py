"""Run the CMP service of a CA folder under uvicorn (the tests start this as a real process).

usage: python -m tests.test_ca_service.cmp_server CA_DIR DB_URL PORT CONFIRM_SECONDS
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import uvicorn

from ca_service.app import create_app
from ca_service.cmp_endpoint import cmp_routes
from ca_service.cmp_service import CmpService, CmpSettings
from ca_service.cmp_store import CmpStore
from teller.config import CAIdentity
from teller.pki.ca import EmbeddedCA

PASSPHRASE = b"ca-test-passphrase"


def main() -> None:
    ca_dir, url, port, confirm_s = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    ca = EmbeddedCA.open(ca_dir, CAIdentity(), PASSPHRASE)
    service = CmpService(ca, CmpStore(url, ca_dir), ca.cmp_signer(PASSPHRASE), CmpSettings(confirm_timeout=timedelta(seconds=confirm_s)))
    uvicorn.run(create_app(cmp_routes(service)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
