"""PKCS#12 export in the Korean shape (npki-format.md §6), keeping the randomNum attribute inside the PKCS#8.

cryptography's PKCS#12 writer rebuilds the key and drops the attribute, so the envelope is built with pyasn1:
cert bags in a plain `data` ContentInfo, the key in a pkcs8ShroudedKeyBag (pbeWithSHAAnd3-KeyTripleDES-CBC,
1024 iterations, 8-byte salt), MAC HMAC-SHA1 over 1024 iterations, localKeyID = the certificate's SKI.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, univ

from teller.errors import CertificateError, WrongPassword
from teller.pki import asn1
from teller.pki.keyfile import load_private_key_info

ITERATIONS = 1024
SALT_BYTES = 8


@dataclass(frozen=True, slots=True)
class Pkcs12Contents:
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    private_key: rsa.RSAPrivateKey
    random_num: bytes | None
    private_key_info_der: bytes


def pkcs12_kdf(password: str, salt: bytes, iterations: int, purpose: int, length: int) -> bytes:
    """RFC 7292 appendix B.2 with SHA-1 (u = 20, v = 64); purpose 1 = key, 2 = IV, 3 = MAC key."""
    u, v = 20, 64
    pw = (password.encode("utf-16-be") + b"\0\0") if password else b""
    d = bytes([purpose]) * v

    def fill(data: bytes) -> bytes:  # repeat to a whole number of v-byte blocks
        if not data:
            return b""
        size = v * ((len(data) + v - 1) // v)
        return (data * (size // len(data) + 1))[:size]

    i = bytearray(fill(salt) + fill(pw))
    out = b""
    while len(out) < length:
        a = d + bytes(i)
        for _ in range(iterations):
            a = hashlib.sha1(a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for j in range(0, len(i), v):
            block = (int.from_bytes(i[j:j + v], "big") + b + 1) % (1 << (8 * v))
            i[j:j + v] = block.to_bytes(v, "big")
    return out[:length]


def _bmp(text: str) -> bytes:
    return asn1.der(char.BMPString(text))


def _attribute(oid: univ.ObjectIdentifier, value_der: bytes) -> asn1.Attribute:
    attr = asn1.Attribute()
    attr["type"] = oid
    attr["values"].append(value_der)
    return attr


def _data_content_info(payload: bytes) -> asn1.ContentInfo:
    info = asn1.ContentInfo()
    info["contentType"] = asn1.OID_DATA
    info["content"] = encoder.encode(univ.OctetString(payload))
    return info


def export_pfx(cert: x509.Certificate, chain: Sequence[x509.Certificate], private_key_info_der_with_attributes: bytes,
               password: str, friendly_name: str | None = None) -> bytes:
    """PFX bytes. `private_key_info_der_with_attributes` = the decrypted PKCS#8 (DecryptedKey.private_key_info_der)."""
    try:
        local_key_id = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        local_key_id = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()
    der = serialization.Encoding.DER

    certs = asn1.SafeContents()
    for index, c in enumerate([cert, *chain]):
        bag_value = asn1.CertBag()
        bag_value["certId"] = asn1.OID_X509_CERT
        bag_value["certValue"] = encoder.encode(univ.OctetString(c.public_bytes(der)))
        bag = asn1.SafeBag()
        bag["bagId"] = asn1.OID_CERT_BAG
        bag["bagValue"] = encoder.encode(bag_value)
        if index == 0:
            attrs = bag.getComponentByName("bagAttributes", instantiate=True)
            if friendly_name:
                attrs.append(_attribute(asn1.OID_FRIENDLY_NAME, _bmp(friendly_name)))
            attrs.append(_attribute(asn1.OID_LOCAL_KEY_ID, encoder.encode(univ.OctetString(local_key_id))))
        certs.append(bag)

    salt = secrets.token_bytes(SALT_BYTES)
    key = pkcs12_kdf(password, salt, ITERATIONS, 1, 24)
    iv = pkcs12_kdf(password, salt, ITERATIONS, 2, 8)
    padder = padding.PKCS7(64).padder()
    encryptor = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padder.update(private_key_info_der_with_attributes) + padder.finalize()) + encryptor.finalize()
    pbe = asn1.PBEParameter()
    pbe["salt"] = salt
    pbe["iterationCount"] = ITERATIONS
    shrouded = asn1.EncryptedPrivateKeyInfo()
    shrouded["encryptionAlgorithm"]["algorithm"] = asn1.OID_PBE_SHA_3DES
    shrouded["encryptionAlgorithm"]["parameters"] = encoder.encode(pbe)
    shrouded["encryptedData"] = encrypted
    key_bag = asn1.SafeBag()
    key_bag["bagId"] = asn1.OID_KEY_BAG_SHROUDED
    key_bag["bagValue"] = encoder.encode(shrouded)
    key_attrs = key_bag.getComponentByName("bagAttributes", instantiate=True)
    if friendly_name:
        key_attrs.append(_attribute(asn1.OID_FRIENDLY_NAME, _bmp(friendly_name)))
    key_attrs.append(_attribute(asn1.OID_LOCAL_KEY_ID, encoder.encode(univ.OctetString(local_key_id))))
    keys = asn1.SafeContents()
    keys.append(key_bag)

    safe = asn1.AuthenticatedSafe()
    safe.append(_data_content_info(encoder.encode(certs)))
    safe.append(_data_content_info(encoder.encode(keys)))
    auth_safe_der = encoder.encode(safe)

    mac_salt = secrets.token_bytes(SALT_BYTES)
    mac_key = pkcs12_kdf(password, mac_salt, ITERATIONS, 3, 20)
    mac = asn1.MacData()
    mac["mac"]["digestAlgorithm"]["algorithm"] = asn1.OID_SHA1
    mac["mac"]["digestAlgorithm"]["parameters"] = encoder.encode(univ.Null(""))
    mac["mac"]["digest"] = hmac.new(mac_key, auth_safe_der, hashlib.sha1).digest()
    mac["macSalt"] = mac_salt
    mac["iterations"] = ITERATIONS
    pfx = asn1.PFX()
    pfx["version"] = 3
    pfx["authSafe"] = _data_content_info(auth_safe_der)
    pfx["macData"] = mac
    return asn1.der(pfx)


def _octets(any_der: bytes) -> bytes:
    value, _ = decoder.decode(any_der, asn1Spec=univ.OctetString())
    return bytes(value)


def read_pfx(data: bytes, password: str) -> Pkcs12Contents:
    """Read a PFX with 3DES-shrouded key bag (and plain-data safes); returns the randomNum from the PKCS#8."""
    try:
        pfx, _ = decoder.decode(data, asn1Spec=asn1.PFX())
        if pfx["authSafe"]["contentType"] != asn1.OID_DATA:
            raise CertificateError("지원하지 않는 PKCS#12 형식입니다 (공개키 암호화 방식)",
                                   "unsupported PKCS#12 (public-key integrity mode)")
        auth_safe_der = _octets(bytes(pfx["authSafe"]["content"]))
        mac = pfx.getComponentByName("macData")
        if mac.isValue:
            mac_key = pkcs12_kdf(password, bytes(mac["macSalt"]), int(mac["iterations"]), 3, 20)
            expected = hmac.new(mac_key, auth_safe_der, hashlib.sha1).digest()
            if not hmac.compare_digest(expected, bytes(mac["mac"]["digest"])):
                raise WrongPassword("PKCS#12 비밀번호가 맞지 않습니다", "the PKCS#12 password is wrong")
        safe, _ = decoder.decode(auth_safe_der, asn1Spec=asn1.AuthenticatedSafe())
        certs: list[x509.Certificate] = []
        key_info: bytes | None = None
        for info in safe:
            if info["contentType"] != asn1.OID_DATA:
                raise CertificateError("암호화된 인증서 영역은 지원하지 않습니다", "encrypted PKCS#12 safes are not supported")
            bags, _ = decoder.decode(_octets(bytes(info["content"])), asn1Spec=asn1.SafeContents())
            for bag in bags:
                if bag["bagId"] == asn1.OID_CERT_BAG:
                    cert_bag, _ = decoder.decode(bytes(bag["bagValue"]), asn1Spec=asn1.CertBag())
                    certs.append(x509.load_der_x509_certificate(_octets(bytes(cert_bag["certValue"]))))
                elif bag["bagId"] == asn1.OID_KEY_BAG_SHROUDED:
                    key_info = _decrypt_shrouded(bytes(bag["bagValue"]), password)
    except (PyAsn1Error, ValueError, TypeError) as exc:
        raise CertificateError("PKCS#12 파일이 손상되었습니다", f"the PKCS#12 file is corrupt: {exc}") from None
    if key_info is None or not certs:
        raise CertificateError("PKCS#12 파일에 키나 인증서가 없습니다", "the PKCS#12 file lacks the key or certificate")
    try:
        private_key, random_num = load_private_key_info(key_info)
    except (PyAsn1Error, ValueError) as exc:
        raise CertificateError("PKCS#12 안의 개인키를 읽을 수 없습니다", f"cannot read the PKCS#12 key: {exc}") from None
    public = private_key.public_key()
    leaf = next((c for c in certs if c.public_key() == public), certs[0])
    return Pkcs12Contents(leaf, tuple(c for c in certs if c is not leaf), private_key, random_num, key_info)


def _decrypt_shrouded(bag_value: bytes, password: str) -> bytes:
    epki, _ = decoder.decode(bag_value, asn1Spec=asn1.EncryptedPrivateKeyInfo())
    if epki["encryptionAlgorithm"]["algorithm"] != asn1.OID_PBE_SHA_3DES:
        raise CertificateError("지원하지 않는 PKCS#12 키 암호화 방식입니다",
                               f"unsupported PKCS#12 key encryption {epki['encryptionAlgorithm']['algorithm']}")
    params, _ = decoder.decode(bytes(epki["encryptionAlgorithm"]["parameters"]), asn1Spec=asn1.PBEParameter())
    salt, iterations = bytes(params["salt"]), int(params["iterationCount"])
    key = pkcs12_kdf(password, salt, iterations, 1, 24)
    iv = pkcs12_kdf(password, salt, iterations, 2, 8)
    decryptor = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(bytes(epki["encryptedData"])) + decryptor.finalize()
    try:
        unpadder = padding.PKCS7(64).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise WrongPassword("PKCS#12 비밀번호가 맞지 않습니다", "the PKCS#12 password is wrong") from None
