"""pyasn1 specifications of the Korean NPKI structures (npki-format.md §2–§6).

Only structures that cryptography does not model (or models lossily) live here: PKCS#8 with the randomNum
attribute, the KISA PBE parameter blocks, IdentifyData/VID, HashContent, the certificatePolicies value with a
BMPString notice, and the PKCS#12 envelope.
"""

from __future__ import annotations

from pyasn1.codec.der import encoder
from pyasn1.type import base, char, namedtype, tag, univ

# --------------------------------------------------------------------------------------------- OIDs
OID_RSA_ENCRYPTION = univ.ObjectIdentifier("1.2.840.113549.1.1.1")
OID_RANDOM_NUM = univ.ObjectIdentifier("1.2.410.200004.10.1.1.3")
# otherName type-id in subjectAltName: 1.2.410.200004.10.1.1 as in the real yessign test certificate
# (the brief suggested 10.1; the DER of the real certificate says 10.1.1)
OID_IDENTIFY_DATA = univ.ObjectIdentifier("1.2.410.200004.10.1.1")
OID_VID = univ.ObjectIdentifier("1.2.410.200004.10.1.1.1")
OID_SEED_CBC_WITH_SHA1 = univ.ObjectIdentifier("1.2.410.200004.1.15")  # KISA PBE (legacy, most common)
OID_SEED_CBC = univ.ObjectIdentifier("1.2.410.200004.1.4")  # SEED-CBC; also the old fixed-IV PBE id
OID_PBES2 = univ.ObjectIdentifier("1.2.840.113549.1.5.13")
OID_PBKDF2 = univ.ObjectIdentifier("1.2.840.113549.1.5.12")
OID_HMAC_SHA1 = univ.ObjectIdentifier("1.2.840.113549.2.7")
OID_SHA1 = univ.ObjectIdentifier("1.3.14.3.2.26")
OID_SHA256 = univ.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
OID_QT_CPS = univ.ObjectIdentifier("1.3.6.1.5.5.7.2.1")
OID_QT_UNOTICE = univ.ObjectIdentifier("1.3.6.1.5.5.7.2.2")
# PKCS#12 / PKCS#7 / PKCS#9
OID_DATA = univ.ObjectIdentifier("1.2.840.113549.1.7.1")
OID_PBE_SHA_3DES = univ.ObjectIdentifier("1.2.840.113549.1.12.1.3")
OID_KEY_BAG_SHROUDED = univ.ObjectIdentifier("1.2.840.113549.1.12.10.1.2")
OID_CERT_BAG = univ.ObjectIdentifier("1.2.840.113549.1.12.10.1.3")
OID_X509_CERT = univ.ObjectIdentifier("1.2.840.113549.1.9.22.1")
OID_LOCAL_KEY_ID = univ.ObjectIdentifier("1.2.840.113549.1.9.21")
OID_FRIENDLY_NAME = univ.ObjectIdentifier("1.2.840.113549.1.9.20")

HASH_OIDS = {"sha256": OID_SHA256, "sha1": OID_SHA1}


def der(value: base.Asn1Item) -> bytes:
    """The DER encoding of a pyasn1 value (typed: pyasn1's stubs leave the encoder's result unannotated)."""
    out = encoder.encode(value)
    assert isinstance(out, bytes)
    return out


def _explicit(n: int, constructed: bool = True) -> tag.TagSet:
    fmt = tag.tagFormatConstructed if constructed else tag.tagFormatSimple
    tags: tag.TagSet = tag.TagSet().tagExplicitly(tag.Tag(tag.tagClassContext, fmt, n))
    return tags


class AlgorithmIdentifier(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("parameters", univ.Any()),
    )


class Attribute(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.ObjectIdentifier()),
        namedtype.NamedType("values", univ.SetOf(componentType=univ.Any())),
    )


class Attributes(univ.SetOf):
    componentType = Attribute()


class PrivateKeyInfo(univ.Sequence):
    """PKCS#8 with `attributes [0] IMPLICIT SET OF Attribute` (the NPKI randomNum lives there)."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("privateKeyAlgorithm", AlgorithmIdentifier()),
        namedtype.NamedType("privateKey", univ.OctetString()),
        namedtype.OptionalNamedType(
            "attributes",
            Attributes().subtype(implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)),
        ),
    )


class EncryptedPrivateKeyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("encryptionAlgorithm", AlgorithmIdentifier()),
        namedtype.NamedType("encryptedData", univ.OctetString()),
    )


class PBEParameter(univ.Sequence):
    """Parameters of 1.2.410.200004.1.15 / 1.2.410.200004.1.4 and of PKCS#12 PBE."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("salt", univ.OctetString()),
        namedtype.NamedType("iterationCount", univ.Integer()),
    )


class PBKDF2Params(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("salt", univ.OctetString()),
        namedtype.NamedType("iterationCount", univ.Integer()),
        namedtype.OptionalNamedType("keyLength", univ.Integer()),
        namedtype.OptionalNamedType("prf", AlgorithmIdentifier()),
    )


class PBES2Params(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("keyDerivationFunc", AlgorithmIdentifier()),
        namedtype.NamedType("encryptionScheme", AlgorithmIdentifier()),
    )


# --------------------------------------------------------------------------------------------- VID (§4)
class VID(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("hashAlg", AlgorithmIdentifier()),
        namedtype.NamedType("vid", univ.OctetString().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0))),
    )


class UserInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.ObjectIdentifier()),
        namedtype.NamedType("value", VID()),
    )


class IdentifyData(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("realName", char.UTF8String()),
        namedtype.NamedType("userInfos", univ.SequenceOf(componentType=UserInfo())),
    )


class HashContent(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("idn", char.PrintableString()),
        namedtype.NamedType("randomNum", univ.BitString()),
    )


# --------------------------------------------------------------------------------------------- policies (§5)
class UserNotice(univ.Sequence):
    """explicitText only, as BMPString (noticeRef absent), like the yessign certificates."""

    componentType = namedtype.NamedTypes(namedtype.NamedType("explicitText", char.BMPString()))


class PolicyQualifierInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("policyQualifierId", univ.ObjectIdentifier()),
        namedtype.NamedType("qualifier", univ.Any()),
    )


class PolicyInformation(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("policyIdentifier", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("policyQualifiers", univ.SequenceOf(componentType=PolicyQualifierInfo())),
    )


class CertificatePolicies(univ.SequenceOf):
    componentType = PolicyInformation()


# --------------------------------------------------------------------------------------------- PKCS#12 (§6)
class ContentInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("contentType", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("content", univ.Any().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))),
    )


class AuthenticatedSafe(univ.SequenceOf):
    componentType = ContentInfo()


class SafeBag(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("bagId", univ.ObjectIdentifier()),
        namedtype.NamedType("bagValue", univ.Any().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))),
        namedtype.OptionalNamedType("bagAttributes", Attributes()),
    )


class SafeContents(univ.SequenceOf):
    componentType = SafeBag()


class CertBag(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("certId", univ.ObjectIdentifier()),
        namedtype.NamedType("certValue", univ.Any().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))),
    )


class DigestInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("digestAlgorithm", AlgorithmIdentifier()),
        namedtype.NamedType("digest", univ.OctetString()),
    )


class MacData(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("mac", DigestInfo()),
        namedtype.NamedType("macSalt", univ.OctetString()),
        namedtype.DefaultedNamedType("iterations", univ.Integer(1)),
    )


class PFX(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("authSafe", ContentInfo()),
        namedtype.OptionalNamedType("macData", MacData()),
    )
