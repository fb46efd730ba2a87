"""signPri.key: NPKI private-key files (npki-format.md §2, §3).

Writes the KISA legacy scheme (1.2.410.200004.1.15) or PBES2/PBKDF2-HMAC-SHA1/SEED-CBC; reads those and the
old fixed-IV variant (1.2.410.200004.1.4 as the PBE id). The plaintext is PKCS#8 with the randomNum attribute.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ

from teller.errors import KeyFileError, ValidationError, WrongPassword
from teller.pki import asn1

SALT_BYTES = 8  # pypinksign refuses other lengths
ITERATIONS = 2048
FIXED_IV = b"0123456789012345"  # the old 1.2.410.200004.1.4 PBE variant
SCHEMES = ("seedCBCWithSHA1", "seedCBC-fixedIV", "pbes2")
WRITABLE_SCHEMES = ("seedCBCWithSHA1", "pbes2")


@dataclass(frozen=True, slots=True)
class DecryptedKey:
    private_key: rsa.RSAPrivateKey
    random_num: bytes | None
    scheme: str
    private_key_info_der: bytes  # PKCS#8 incl. attributes: for PKCS#12 export only, never stored


def _corrupt(detail: str) -> KeyFileError:
    return KeyFileError("개인키 파일(signPri.key)이 손상되었거나 형식이 올바르지 않습니다",
                        f"the private-key file (signPri.key) is corrupt or not an NPKI key: {detail}")


def _wrong_password() -> WrongPassword:
    return WrongPassword("인증서 비밀번호가 맞지 않습니다", "the certificate password is wrong")


def pbkdf1_sha1(password: bytes, salt: bytes, iterations: int, length: int = 20) -> bytes:
    """PKCS#5 v1 PBKDF1 with SHA-1 (cryptography has none)."""
    t = hashlib.sha1(password + salt).digest()
    for _ in range(iterations - 1):
        t = hashlib.sha1(t).digest()
    return t[:length]


def _seed_cbc(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    try:
        cipher = Cipher(SEED(key), modes.CBC(iv))
    except UnsupportedAlgorithm:  # pragma: no cover - OpenSSL without the legacy provider
        raise KeyFileError("이 시스템의 암호 라이브러리가 SEED를 지원하지 않습니다",
                           "the crypto library on this system lacks SEED (OpenSSL legacy provider)") from None
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def _legacy_key_iv(password: bytes, salt: bytes, iterations: int) -> tuple[bytes, bytes]:
    dk = pbkdf1_sha1(password, salt, iterations)
    return dk[:16], hashlib.sha1(dk[16:20]).digest()[:16]


def private_key_info_with_random(key: rsa.RSAPrivateKey, random_num: bytes) -> bytes:
    """PKCS#8 DER of `key` with `[0] { Attribute { randomNum, SET { BIT STRING R } } }` appended."""
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    info, _ = decoder.decode(plain, asn1Spec=asn1.PrivateKeyInfo())
    attr = asn1.Attribute()
    attr["type"] = asn1.OID_RANDOM_NUM
    attr["values"].append(encoder.encode(univ.BitString.fromOctetString(random_num)))
    attrs = info.getComponentByName("attributes", instantiate=True)
    attrs.append(attr)
    return asn1.der(info)


def encrypt_private_key_info(pki_der: bytes, password: str, scheme: str = "seedCBCWithSHA1") -> bytes:
    if scheme not in WRITABLE_SCHEMES:
        raise ValidationError(f"지원하지 않는 키 암호화 방식: {scheme}", f"unsupported key encryption scheme: {scheme}")
    pw = password.encode("utf-8")
    salt = secrets.token_bytes(SALT_BYTES)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(pki_der) + padder.finalize()
    out = asn1.EncryptedPrivateKeyInfo()
    if scheme == "seedCBCWithSHA1":
        key, iv = _legacy_key_iv(pw, salt, ITERATIONS)
        params = asn1.PBEParameter()
        params["salt"] = salt
        params["iterationCount"] = ITERATIONS
        out["encryptionAlgorithm"]["algorithm"] = asn1.OID_SEED_CBC_WITH_SHA1
        out["encryptionAlgorithm"]["parameters"] = encoder.encode(params)
    else:
        iv = secrets.token_bytes(16)
        key = PBKDF2HMAC(hashes.SHA1(), 16, salt, ITERATIONS).derive(pw)
        kdf_params = asn1.PBKDF2Params()
        kdf_params["salt"] = salt
        kdf_params["iterationCount"] = ITERATIONS  # keyLength and prf absent (= hmacWithSHA1), as in §2c
        pbes2 = asn1.PBES2Params()
        pbes2["keyDerivationFunc"]["algorithm"] = asn1.OID_PBKDF2
        pbes2["keyDerivationFunc"]["parameters"] = encoder.encode(kdf_params)
        pbes2["encryptionScheme"]["algorithm"] = asn1.OID_SEED_CBC
        pbes2["encryptionScheme"]["parameters"] = encoder.encode(univ.OctetString(iv))
        out["encryptionAlgorithm"]["algorithm"] = asn1.OID_PBES2
        out["encryptionAlgorithm"]["parameters"] = encoder.encode(pbes2)
    out["encryptedData"] = _seed_cbc(key, iv, padded, encrypt=True)
    return asn1.der(out)


def encrypt_private_key(key: rsa.RSAPrivateKey, password: str, random_num: bytes,
                        scheme: str = "seedCBCWithSHA1") -> bytes:
    return encrypt_private_key_info(private_key_info_with_random(key, random_num), password, scheme)


def _parse(data: bytes) -> tuple[str, asn1.EncryptedPrivateKeyInfo]:
    try:
        epki, rest = decoder.decode(data, asn1Spec=asn1.EncryptedPrivateKeyInfo())
    except (PyAsn1Error, ValueError, TypeError) as exc:
        raise _corrupt(str(exc)) from None
    if rest:
        raise _corrupt("trailing bytes")
    oid = epki["encryptionAlgorithm"]["algorithm"]
    if oid == asn1.OID_SEED_CBC_WITH_SHA1:
        return "seedCBCWithSHA1", epki
    if oid == asn1.OID_SEED_CBC:
        return "seedCBC-fixedIV", epki
    if oid == asn1.OID_PBES2:
        return "pbes2", epki
    raise KeyFileError(f"지원하지 않는 개인키 암호화 방식입니다 ({oid})", f"unsupported key encryption scheme {oid}")


def key_scheme(data: bytes) -> str:
    return _parse(data)[0]


def _key_and_iv(scheme: str, epki: asn1.EncryptedPrivateKeyInfo, pw: bytes) -> tuple[bytes, bytes]:
    params_der = bytes(epki["encryptionAlgorithm"]["parameters"])
    if scheme in ("seedCBCWithSHA1", "seedCBC-fixedIV"):
        params, _ = decoder.decode(params_der, asn1Spec=asn1.PBEParameter())
        salt, iterations = bytes(params["salt"]), int(params["iterationCount"])
        if not 0 < iterations <= 10_000_000:
            raise PyAsn1Error("iteration count out of range")
        key, iv = _legacy_key_iv(pw, salt, iterations)
        return (key, iv) if scheme == "seedCBCWithSHA1" else (key, FIXED_IV)
    pbes2, _ = decoder.decode(params_der, asn1Spec=asn1.PBES2Params())
    if pbes2["keyDerivationFunc"]["algorithm"] != asn1.OID_PBKDF2 or pbes2["encryptionScheme"]["algorithm"] != asn1.OID_SEED_CBC:
        raise KeyFileError("지원하지 않는 PBES2 구성입니다 (PBKDF2 + SEED-CBC만 지원)",
                           "unsupported PBES2 setup (only PBKDF2 + SEED-CBC)")
    kdf, _ = decoder.decode(bytes(pbes2["keyDerivationFunc"]["parameters"]), asn1Spec=asn1.PBKDF2Params())
    prf = kdf.getComponentByName("prf")
    if prf.isValue and prf["algorithm"] != asn1.OID_HMAC_SHA1:
        raise KeyFileError("지원하지 않는 PBKDF2 해시입니다 (HMAC-SHA1만 지원)", "unsupported PBKDF2 PRF (only HMAC-SHA1)")
    iterations = int(kdf["iterationCount"])
    if not 0 < iterations <= 10_000_000:
        raise PyAsn1Error("iteration count out of range")
    iv, _ = decoder.decode(bytes(pbes2["encryptionScheme"]["parameters"]), asn1Spec=univ.OctetString())
    key = PBKDF2HMAC(hashes.SHA1(), 16, bytes(kdf["salt"]), iterations).derive(pw)
    return key, bytes(iv)


def random_num_of(info: asn1.PrivateKeyInfo) -> bytes | None:
    attrs = info.getComponentByName("attributes")
    if not attrs.isValue:
        return None
    for attr in attrs:
        if attr["type"] == asn1.OID_RANDOM_NUM and len(attr["values"]):
            bits, _ = decoder.decode(bytes(attr["values"][0]), asn1Spec=univ.BitString())
            return bytes(bits.asOctets())
    return None


def load_private_key_info(pki_der: bytes) -> tuple[rsa.RSAPrivateKey, bytes | None]:
    """(key, randomNum) from a plaintext PKCS#8 with attributes. Raises ValueError/PyAsn1Error when unparsable."""
    info, rest = decoder.decode(pki_der, asn1Spec=asn1.PrivateKeyInfo())
    if rest:
        raise ValueError("trailing bytes after PrivateKeyInfo")
    # The certificate check (key_matches) is the real guard; skipping RSA validation keeps decrypt fast.
    key = serialization.load_der_private_key(pki_der, None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA key")
    return key, random_num_of(info)


def decrypt_private_key(data: bytes, password: str) -> DecryptedKey:
    scheme, epki = _parse(data)
    try:
        key, iv = _key_and_iv(scheme, epki, password.encode("utf-8"))
    except (PyAsn1Error, ValueError, TypeError) as exc:
        raise _corrupt(f"bad parameters: {exc}") from None
    cipher_text = bytes(epki["encryptedData"])
    if not cipher_text or len(cipher_text) % 16 or len(iv) != 16:
        raise _corrupt("encrypted data is not a whole number of SEED blocks")
    padded = _seed_cbc(key, iv, cipher_text, encrypt=False)
    try:
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        private_key, random_num = load_private_key_info(plain)
    except (PyAsn1Error, ValueError, TypeError, UnsupportedAlgorithm):
        # A wrong password yields random bytes: bad padding or an unparsable PKCS#8.
        raise _wrong_password() from None
    return DecryptedKey(private_key, random_num, scheme, plain)
