"""Interop: folders we write load in pypinksign 0.5.4 and openssl; PKCS#12 reads in openssl and cryptography."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12

from teller.errors import CertificateError, MediaError, WrongPassword
from teller.pki import keyfile, npki, pkcs12, vid

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")


def _no_input(prompt: str = "") -> str:
    raise AssertionError("pypinksign.choose_cert found no certificate and asked for input")


@pytest.mark.parametrize("which", ["bank_legacy", "general_pbes2"])
def test_pypinksign_finds_and_decrypts_our_folder(pki_world, which: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pypinksign

    monkeypatch.setattr("builtins.input", _no_input)
    issued = getattr(pki_world, which)
    cn = issued.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    found = pypinksign.choose_cert(str(pki_world.media / "NPKI"), cn, issued.password.encode())
    assert found.pubkey.public_numbers() == issued.cert.public_key().public_numbers()
    assert found.prikey.private_numbers() == issued.key.private_numbers()
    random_num = found._rand_num.asOctets()  # pypinksign exposes R only privately (npki-format §7)
    assert random_num == issued.random_num
    assert vid.compute_vid(issued.rrn, random_num) == vid.read_identify_data(issued.cert).vid


def test_folder_layout_and_names(pki_world) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.bank_legacy
    rel = issued.folder.relative_to(pki_world.media)
    assert rel.parts[:4] == ("NPKI", "yessign", "USER", rel.parts[3])
    assert rel.parts[3].startswith("cn=홍길동()") and rel.parts[3].endswith(",ou=KMB,ou=personal4IB,o=yessign,c=kr")
    assert sorted(p.name for p in issued.folder.iterdir()) == ["signCert.der", "signPri.key"]


def test_user_folder_name_of_real_certificate(yessign_cert: x509.Certificate) -> None:
    assert npki.ca_folder_name(yessign_cert) == "yessign"
    assert npki.user_folder_name(yessign_cert) == \
        "cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr"


def test_verify_folder(pki_world) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.general_pbes2
    assert npki.verify_folder(issued.folder, issued.password, issued.rrn) == npki.FolderCheck(True, True)
    assert npki.verify_folder(issued.folder, issued.password, pki_world.bank_legacy.rrn) == npki.FolderCheck(True, False)
    assert npki.verify_folder(issued.folder, issued.password).vid_matches is None
    with pytest.raises(WrongPassword):
        npki.verify_folder(issued.folder, "wrong-password")
    with pytest.raises(MediaError):
        npki.verify_folder(issued.folder.parent / "cn=nobody", issued.password)


def test_key_of_another_certificate_does_not_match(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(pki_world.bank_legacy.folder / "signCert.der", folder)
    shutil.copy(pki_world.general_pbes2.folder / "signPri.key", folder)
    check = npki.verify_folder(folder, pki_world.general_pbes2.password, pki_world.bank_legacy.rrn)
    assert check == npki.FolderCheck(False, False)


@needs_openssl
def test_openssl_decrypts_pbes2_key(pki_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.general_pbes2
    run = subprocess.run(
        ["openssl", "pkcs8", "-inform", "DER", "-in", str(issued.folder / "signPri.key"), "-passin", "env:PW",
         "-provider", "legacy", "-provider", "default"],
        capture_output=True, env={**os.environ, "PW": issued.password},
    )
    if run.returncode != 0 and b"legacy" in run.stderr.lower():
        pytest.skip("openssl without the legacy provider")
    assert run.returncode == 0, run.stderr
    key = serialization.load_pem_private_key(run.stdout, None)
    assert key.public_key().public_numbers() == issued.cert.public_key().public_numbers()


@pytest.fixture(scope="module")
def pfx_file(pki_world, tmp_path_factory) -> tuple[Path, bytes]:  # type: ignore[no-untyped-def]
    issued = pki_world.bank_legacy
    dec = keyfile.decrypt_private_key((issued.folder / "signPri.key").read_bytes(), issued.password)
    data = pkcs12.export_pfx(issued.cert, pki_world.ca.chain(), dec.private_key_info_der, "Pfx-pass1")
    path = tmp_path_factory.mktemp("pfx") / "cert.pfx"
    path.write_bytes(data)
    return path, data


def test_pfx_reads_back_with_random_num(pki_world, pfx_file) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.bank_legacy
    got = pkcs12.read_pfx(pfx_file[1], "Pfx-pass1")
    assert got.certificate == issued.cert
    assert list(got.chain) == list(pki_world.ca.chain())
    assert got.random_num == issued.random_num
    assert vid.vid_matches(got.certificate, issued.rrn, got.random_num)
    with pytest.raises(WrongPassword):
        pkcs12.read_pfx(pfx_file[1], "other")
    with pytest.raises(CertificateError):
        pkcs12.read_pfx(pfx_file[1][:200], "Pfx-pass1")


def test_pfx_loads_in_cryptography(pki_world, pfx_file) -> None:  # type: ignore[no-untyped-def]
    key, cert, extra = crypto_pkcs12.load_key_and_certificates(pfx_file[1], b"Pfx-pass1")
    assert cert == pki_world.bank_legacy.cert
    assert key.private_numbers() == pki_world.bank_legacy.key.private_numbers()
    assert len(extra) == 2


def test_real_yessign_pfx_random_num(yessign) -> None:  # type: ignore[no-untyped-def]
    got = pkcs12.read_pfx(yessign["pfx"], yessign["password"])
    assert got.random_num == yessign["random_num"]


@needs_openssl
def test_openssl_reads_pfx_in_korean_shape(pki_world, pfx_file) -> None:  # type: ignore[no-untyped-def]
    path, _ = pfx_file
    info = subprocess.run(["openssl", "pkcs12", "-in", str(path), "-info", "-nokeys", "-passin", "pass:Pfx-pass1"],
                          capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    text = info.stdout + info.stderr
    assert "MAC: sha1, Iteration 1024" in text
    assert "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1024" in text
    assert "PKCS7 Encrypted data" not in text  # cert bags in plain data
    ski = pki_world.bank_legacy.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert "localKeyID: " + " ".join(f"{b:02X}" for b in ski) in text
    keys = subprocess.run(["openssl", "pkcs12", "-in", str(path), "-nocerts", "-nodes", "-passin", "pass:Pfx-pass1"],
                          capture_output=True, text=True)
    assert keys.returncode == 0, keys.stderr
    r_hex = " ".join(f"{b:02X}" for b in pki_world.bank_legacy.random_num)
    assert f"1.2.410.200004.10.1.1.3: {r_hex}" in keys.stdout
