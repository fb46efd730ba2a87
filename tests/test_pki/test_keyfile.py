"""signPri.key: all three schemes round-trip, the real test key decrypts, bad input gives clear errors."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from pyasn1.codec.der import encoder
from pyasn1.type import univ

from teller.errors import KeyFileError, WrongPassword
from teller.pki import asn1, keyfile


def test_real_yessign_key_decrypts_with_random_num(yessign) -> None:  # type: ignore[no-untyped-def]
    data = (yessign["dir"] / "signPri.key").read_bytes()
    assert keyfile.key_scheme(data) == "seedCBCWithSHA1"
    dec = keyfile.decrypt_private_key(data, yessign["password"])
    numbers = dec.private_key.private_numbers()
    assert (numbers.p, numbers.q, numbers.public_numbers.n) == (yessign["p"], yessign["q"], yessign["n"])
    assert dec.random_num == yessign["random_num"]
    assert dec.private_key_info_der == yessign["plain_key"]


def test_plaintext_encoding_equals_real_key(yessign) -> None:  # type: ignore[no-untyped-def]
    dec = keyfile.decrypt_private_key((yessign["dir"] / "signPri.key").read_bytes(), yessign["password"])
    # attribute order and encoding exactly like the key the real test CA's software wrote
    assert keyfile.private_key_info_with_random(dec.private_key, yessign["random_num"]) == yessign["plain_key"]


@pytest.mark.parametrize("scheme", ["seedCBCWithSHA1", "pbes2"])
def test_round_trip_and_fresh_salt(pki_world, scheme: str) -> None:  # type: ignore[no-untyped-def]
    issued = pki_world.bank_legacy
    a = keyfile.encrypt_private_key(issued.key, "pw-Round1", issued.random_num, scheme)
    b = keyfile.encrypt_private_key(issued.key, "pw-Round1", issued.random_num, scheme)
    assert a != b  # CSPRNG salt (and IV)
    assert keyfile.key_scheme(a) == scheme
    dec = keyfile.decrypt_private_key(a, "pw-Round1")
    assert dec.scheme == scheme and dec.random_num == issued.random_num
    assert dec.private_key.private_numbers() == issued.key.private_numbers()
    with pytest.raises(WrongPassword):
        keyfile.decrypt_private_key(a, "pw-Round2")


def test_pbes2_shape_is_npki(pki_world) -> None:  # type: ignore[no-untyped-def]
    from pyasn1.codec.der import decoder

    data = keyfile.encrypt_private_key(pki_world.bank_legacy.key, "x", pki_world.bank_legacy.random_num, "pbes2")
    epki, _ = decoder.decode(data, asn1Spec=asn1.EncryptedPrivateKeyInfo())
    params, _ = decoder.decode(bytes(epki["encryptionAlgorithm"]["parameters"]), asn1Spec=asn1.PBES2Params())
    kdf, _ = decoder.decode(bytes(params["keyDerivationFunc"]["parameters"]), asn1Spec=asn1.PBKDF2Params())
    assert len(kdf["salt"]) == 8 and int(kdf["iterationCount"]) == 2048
    assert not kdf["prf"].isValue and not kdf["keyLength"].isValue
    assert params["encryptionScheme"]["algorithm"] == asn1.OID_SEED_CBC
    iv, _ = decoder.decode(bytes(params["encryptionScheme"]["parameters"]), asn1Spec=univ.OctetString())
    assert len(iv) == 16


def _fixed_iv_vector(plain: bytes, password: bytes) -> bytes:
    """The old 1.2.410.200004.1.4 PBE variant, written here from primitives: PBKDF1-SHA1, fixed IV."""
    salt = os.urandom(8)
    t = hashlib.sha1(password + salt).digest()
    for _ in range(2047):
        t = hashlib.sha1(t).digest()
    padder = padding.PKCS7(128).padder()
    enc = Cipher(SEED(t[:16]), modes.CBC(b"0123456789012345")).encryptor()
    cipher_text = enc.update(padder.update(plain) + padder.finalize()) + enc.finalize()
    params = univ.Sequence()
    params.setComponentByPosition(0, univ.OctetString(salt))
    params.setComponentByPosition(1, univ.Integer(2048))
    alg = univ.Sequence()
    alg.setComponentByPosition(0, univ.ObjectIdentifier("1.2.410.200004.1.4"))
    alg.setComponentByPosition(1, params)
    outer = univ.Sequence()
    outer.setComponentByPosition(0, alg)
    outer.setComponentByPosition(1, univ.OctetString(cipher_text))
    return encoder.encode(outer)


def test_fixed_iv_variant_reads(yessign) -> None:  # type: ignore[no-untyped-def]
    data = _fixed_iv_vector(yessign["plain_key"], b"old-pass-1")
    assert keyfile.key_scheme(data) == "seedCBC-fixedIV"
    dec = keyfile.decrypt_private_key(data, "old-pass-1")
    assert dec.scheme == "seedCBC-fixedIV" and dec.random_num == yessign["random_num"]
    with pytest.raises(WrongPassword):
        keyfile.decrypt_private_key(data, "old-pass-2")


def test_wrong_password_on_real_key(yessign) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WrongPassword) as err:
        keyfile.decrypt_private_key((yessign["dir"] / "signPri.key").read_bytes(), "not-the-password")
    assert err.value.message and err.value.message_en != err.value.message


@pytest.mark.parametrize("cut", [0, 10, 40, 700])
def test_truncated_key_is_corrupt_not_wrong_password(yessign, cut: int) -> None:  # type: ignore[no-untyped-def]
    data = (yessign["dir"] / "signPri.key").read_bytes()[:cut]
    with pytest.raises(KeyFileError) as err:
        keyfile.decrypt_private_key(data, yessign["password"])
    assert not isinstance(err.value, WrongPassword)


def test_unknown_scheme_and_garbage() -> None:
    other = univ.Sequence()
    alg = univ.Sequence()
    alg.setComponentByPosition(0, univ.ObjectIdentifier("1.2.840.113549.1.5.3"))
    other.setComponentByPosition(0, alg)
    other.setComponentByPosition(1, univ.OctetString(b"\0" * 16))
    with pytest.raises(KeyFileError):
        keyfile.key_scheme(encoder.encode(other))
    with pytest.raises(KeyFileError):
        keyfile.decrypt_private_key(b"not a key file at all", "pw")


def test_pbkdf1_matches_definition() -> None:
    expected = hashlib.sha1(hashlib.sha1(hashlib.sha1(b"pw" + b"salt").digest()).digest()).digest()
    assert keyfile.pbkdf1_sha1(b"pw", b"salt", 3) == expected
