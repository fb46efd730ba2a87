"""Benchmark: per-certificate cost of the full issue pipeline against the floor (RSA keygen + one signature).

pipeline = RSA-2048 keygen, VID, CA sign (Korean profile, CA database write), encrypt signPri.key, atomic write
with fsync into a temp media folder (teller.media.write_certificate_folder, verify inside), read-back verify
(decrypt + key matches + VID).   floor = RSA-2048 keygen + a plain cryptography certificate signature.

Usage: .venv/bin/python bench/issue_pipeline.py [--n 40] [--scheme seedCBCWithSHA1|pbes2]
The last line printed is one JSON object {"pipeline_ms", "floor_ms", "ratio", "decrypt_ms"}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from teller.config import CAIdentity
from teller.domain import CertKind
from teller.pki import keyfile, npki, profile, vid
from teller.pki.ca import EmbeddedCA
from teller.ports import CertificateRequest

RRN = "9001011234568"  # fake test number
PASSWORD = "Bench!2345"


def _write(media: Path, cert: x509.Certificate, files: dict[str, bytes], verify) -> Path:  # type: ignore[no-untyped-def]
    try:
        from teller.media import write_certificate_folder
    except ImportError:  # pragma: no cover - fallback before teller.media existed
        folder = media / "NPKI" / npki.ca_folder_name(cert) / "USER" / npki.user_folder_name(cert)
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        verify(folder)
        return folder
    return write_certificate_folder(media, npki.ca_folder_name(cert), npki.user_folder_name(cert), files, verify)


def pipeline_once(ca: EmbeddedCA, media: Path, scheme: str) -> float:
    start = time.perf_counter()
    key = rsa.generate_private_key(65537, 2048)
    random_num = vid.new_random_num()
    not_before, not_after = profile.kst_validity(date(2026, 11, 25), date(2027, 11, 25))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert = ca.issue(CertificateRequest(spki, "홍길동", CertKind.BANK, vid.compute_vid(RRN, random_num), not_before, not_after))
    files = npki.make_bundle(cert, keyfile.encrypt_private_key(key, PASSWORD, random_num, scheme))

    def verify(folder: Path) -> None:
        check = npki.verify_folder(folder, PASSWORD, RRN)
        if not (check.key_matches and check.vid_matches):
            raise RuntimeError("read-back verification failed")

    _write(media, cert, files, verify)
    return (time.perf_counter() - start) * 1000


def floor_once(issuer_key: rsa.RSAPrivateKey, issuer_name: x509.Name) -> float:
    start = time.perf_counter()
    key = rsa.generate_private_key(65537, 2048)
    now = datetime.now(timezone.utc)
    (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "floor")]))
     .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
     .not_valid_before(now).not_valid_after(now + timedelta(days=365)).sign(issuer_key, hashes.SHA256()))
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--scheme", default="seedCBCWithSHA1", choices=keyfile.WRITABLE_SCHEMES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ca = EmbeddedCA.open(base / "ca", CAIdentity(), b"bench-passphrase")
        media = base / "media"
        media.mkdir()
        issuer_key = rsa.generate_private_key(65537, 2048)
        issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "floor issuer")])
        pipeline, floor = [], []
        for _ in range(args.n):  # interleaved so both see the same machine load
            pipeline.append(pipeline_once(ca, media, args.scheme))
            floor.append(floor_once(issuer_key, issuer_name))
        # decrypt cost alone, on the folders just written
        folders = sorted((media / "NPKI").glob("*/USER/*"))
        keys = [(f / "signPri.key").read_bytes() for f in folders]
        decrypt = []
        for data in keys:
            start = time.perf_counter()
            keyfile.decrypt_private_key(data, PASSWORD)
            decrypt.append((time.perf_counter() - start) * 1000)
    p, f, d = statistics.median(pipeline), statistics.median(floor), statistics.median(decrypt)
    print(f"n={args.n} scheme={args.scheme}")
    print(f"pipeline median {p:.1f} ms (min {min(pipeline):.1f}, max {max(pipeline):.1f})")
    print(f"floor    median {f:.1f} ms (min {min(floor):.1f}, max {max(floor):.1f})")
    print(f"decrypt  median {d:.2f} ms")
    print(json.dumps({"pipeline_ms": round(p, 1), "floor_ms": round(f, 1), "ratio": round(p / f, 3),
                      "decrypt_ms": round(d, 2)}))


if __name__ == "__main__":
    main()
