"""Master key handling, HKDF purpose keys, AES-GCM field encryption and look-up hashes."""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from teller.errors import IntegrityError, TellerError
from teller.security.field_crypto import FieldCrypto, derive_key, load_or_create_master_key

MASTER = bytes(range(32))
RRN = "9001011234568"


@pytest.fixture
def fc() -> FieldCrypto:
    return FieldCrypto(MASTER)


# ------------------------------------------------------------------------------------------ master key


def test_master_key_created_private_and_reused(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    key = load_or_create_master_key(secrets, env={})
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(secrets / "master.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o700
    assert load_or_create_master_key(secrets, env={}) == key
    assert os.listdir(secrets) == ["master.key"]  # no temp file left


def test_modes_hold_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_or_create_master_key(tmp_path / "s", env={})
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "s" / "master.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o700


def test_existing_open_directory_is_tightened(tmp_path: Path) -> None:
    d = tmp_path / "secrets"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    load_or_create_master_key(d, env={})
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700


def _load_in_child(path: str, queue: "multiprocessing.Queue[bytes]") -> None:
    queue.put(load_or_create_master_key(Path(path), env={}))


def test_concurrent_creation_yields_one_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    q: multiprocessing.Queue[bytes] = ctx.Queue()
    procs = [ctx.Process(target=_load_in_child, args=(str(tmp_path / "s"), q)) for _ in range(4)]
    for p in procs:
        p.start()
    keys = {q.get(timeout=30) for _ in procs}
    for p in procs:
        p.join(timeout=30)
    assert len(keys) == 1
    assert keys == {(tmp_path / "s" / "master.key").read_bytes()}


def test_env_key_wins(tmp_path: Path) -> None:
    key = load_or_create_master_key(tmp_path / "s", env={"TELLER_MASTER_KEY": MASTER.hex()})
    assert key == MASTER
    assert not (tmp_path / "s").exists()  # nothing written when the key comes from the environment


@pytest.mark.parametrize("value", ["abcd", "zz" * 32, MASTER.hex() + "00"])
def test_bad_env_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(TellerError) as e:
        load_or_create_master_key(tmp_path / "s", env={"TELLER_MASTER_KEY": value})
    assert value not in e.value.message_en


def test_truncated_key_file_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "s"
    d.mkdir()
    (d / "master.key").write_bytes(b"short")
    with pytest.raises(TellerError):
        load_or_create_master_key(d, env={})


# ------------------------------------------------------------------------------------------ HKDF


def _hkdf_reference(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    # RFC 5869 written out: salt absent → HashLen zeros
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


def test_derive_key_is_rfc5869_with_purpose_label() -> None:
    assert derive_key(MASTER, "lookup-hash/v1") == _hkdf_reference(MASTER, b"branch-teller/lookup-hash/v1")


def test_purposes_give_independent_keys(fc: FieldCrypto) -> None:
    keys = {derive_key(MASTER, p) for p in ("a", "b", "field-encryption/v1", "lookup-hash/v1")}
    assert len(keys) == 4
    assert fc.id_registry_key() != derive_key(MASTER, "lookup-hash/v1")


# ------------------------------------------------------------------------------------------ encryption


def test_round_trip_and_random_nonce(fc: FieldCrypto) -> None:
    a = fc.encrypt(RRN, "customer:1:rrn")
    b = fc.encrypt(RRN, "customer:1:rrn")
    assert a != b
    assert a[0] == 1 and len(a) == 1 + 12 + len(RRN) + 16
    assert RRN.encode() not in a
    assert fc.decrypt(a, "customer:1:rrn") == RRN
    assert FieldCrypto(MASTER).decrypt(b, "customer:1:rrn") == RRN  # same key in a new instance
    assert fc.decrypt(fc.encrypt("홍길동 ✓", "x"), "x") == "홍길동 ✓"
    assert fc.decrypt(fc.encrypt("", "x"), "x") == ""


def test_every_flipped_byte_is_detected(fc: FieldCrypto) -> None:
    blob = fc.encrypt(RRN, "c")
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(IntegrityError):
            fc.decrypt(bytes(tampered), "c")


@pytest.mark.parametrize("cut", [0, 1, 12, 28, -1])
def test_truncated_blob(fc: FieldCrypto, cut: int) -> None:
    blob = fc.encrypt(RRN, "c")
    with pytest.raises(IntegrityError):
        fc.decrypt(blob[:cut], "c")


def test_wrong_context_and_wrong_key_fail(fc: FieldCrypto) -> None:
    blob = fc.encrypt(RRN, "customer:1:rrn")
    with pytest.raises(IntegrityError) as e:
        fc.decrypt(blob, "customer:2:rrn")
    assert RRN not in e.value.message and RRN not in e.value.message_en
    with pytest.raises(IntegrityError):
        FieldCrypto(bytes(32)).decrypt(blob, "customer:1:rrn")


def test_memoryview_and_non_bytes(fc: FieldCrypto) -> None:
    blob = fc.encrypt(RRN, "c")
    assert fc.decrypt(memoryview(blob), "c") == RRN
    with pytest.raises(IntegrityError):
        fc.decrypt("not bytes", "c")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ hashes


def test_lookup_hash_is_keyed_and_deterministic(fc: FieldCrypto) -> None:
    h = fc.lookup_hash(RRN)
    expected = hmac.new(_hkdf_reference(MASTER, b"branch-teller/lookup-hash/v1"), RRN.encode(), hashlib.sha256)
    assert h == expected.hexdigest()
    assert h == FieldCrypto(MASTER).lookup_hash(RRN)
    assert h != fc.lookup_hash("9001011234569")
    assert h != FieldCrypto(bytes(32)).lookup_hash(RRN)
    assert h != hashlib.sha256(RRN.encode()).hexdigest()  # not an unkeyed hash


def test_ca_passphrase_is_stable_ascii(fc: FieldCrypto) -> None:
    p = fc.ca_passphrase()
    assert p == FieldCrypto(MASTER).ca_passphrase()
    assert p.isascii() and len(p) >= 32
    assert p != FieldCrypto(bytes(32)).ca_passphrase()


def test_repr_hides_key(fc: FieldCrypto) -> None:
    assert MASTER.hex() not in repr(fc) and str(MASTER) not in repr(fc)
