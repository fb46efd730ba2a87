"""The Korean personal/corporate certificate profile (npki-format.md §5), as cryptography builder pieces.

Facts resting on observation only are marked [unconfirmed]: the CN digit pattern and the corporate OU.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
from pyasn1.codec.der import encoder
from pyasn1.type import char

from teller.config import CAIdentity
from teller.domain import CertKind
from teller.pki import asn1
from teller.pki.vid import build_identify_data_der

KST = timezone(timedelta(hours=9), "KST")
PERSONAL_OU = "personal4IB"
CORPORATE_OU = "corporation4EC"  # [unconfirmed] corporate OU; a setting of the CA (EmbeddedCA.open)
CN_KIND_DIGIT = "1"  # [unconfirmed] the single digit after "04" (observed 1, 6 and 7)


@dataclass(frozen=True, slots=True)
class SubjectParams:
    org: str  # CA's O= (e.g. yessign)
    bank_ou: str  # e.g. KMB
    bank_code: str  # 3 digits
    corporate_ou: str = CORPORATE_OU


def kst_validity(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """00:00:00 KST of first_day … 23:59:59 KST of last_day, as aware UTC datetimes."""
    start = datetime.combine(first_day, time(0, 0, 0), KST).astimezone(timezone.utc)
    end = datetime.combine(last_day, time(23, 59, 59), KST).astimezone(timezone.utc)
    return start, end


def cn_digits(bank_code: str, issued_on: date, sequence: int) -> str:
    """'0' + bank code + '04' + 1 digit + YYYYMMDD + serial digits. [unconfirmed semantics: observed pattern]"""
    return f"0{bank_code}04{CN_KIND_DIGIT}{issued_on:%Y%m%d}{sequence % 10**9:09d}"


def subject_name(real_name: str, kind: CertKind, params: SubjectParams, issued_on: date, sequence: int) -> x509.Name:
    """C=kr, O=<org>, OU=personal4IB|corporate OU, OU=<bank>, CN=<name>()<digits> in ASN.1 order."""
    kind_ou = params.corporate_ou if kind is CertKind.CORPORATE else PERSONAL_OU
    cn = f"{real_name}(){cn_digits(params.bank_code, issued_on, sequence)}"
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),  # PrintableString (cryptography's default for C)
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, params.org),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, kind_ou),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, params.bank_ou),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def real_name_of(cert: x509.Certificate) -> str | None:
    """The real name in a subscriber certificate's CN (the part before "()", see subject_name)."""
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = cns[0].value if cns else None
    if not isinstance(cn, str) or "()" not in cn:
        return None
    return cn.split("()", 1)[0] or None


def certificate_policies_der(policy_oid: str, notice: str, cps_uri: str) -> bytes:
    """certificatePolicies with the userNotice explicitText as BMPString (cryptography would write UTF8String)."""
    unotice = asn1.UserNotice()
    unotice["explicitText"] = char.BMPString(notice)
    q_notice = asn1.PolicyQualifierInfo()
    q_notice["policyQualifierId"] = asn1.OID_QT_UNOTICE
    q_notice["qualifier"] = encoder.encode(unotice)
    q_cps = asn1.PolicyQualifierInfo()
    q_cps["policyQualifierId"] = asn1.OID_QT_CPS
    q_cps["qualifier"] = encoder.encode(char.IA5String(cps_uri))
    info = asn1.PolicyInformation()
    info["policyIdentifier"] = policy_oid
    quals = info.getComponentByName("policyQualifiers", instantiate=True)
    quals.append(q_notice)  # order as in the yessign certificate: notice first, then CPS
    quals.append(q_cps)
    policies = asn1.CertificatePolicies()
    policies.append(info)
    return bytes(encoder.encode(policies))


def add_subscriber_extensions(
    builder: x509.CertificateBuilder,
    *,
    subscriber_key: rsa.RSAPublicKey,
    issuer_cert: x509.Certificate,
    kind: CertKind,
    real_name: str,
    vid: bytes | None,
    identity: CAIdentity,
) -> x509.CertificateBuilder:
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = x509.AuthorityKeyIdentifier(
        key_identifier=issuer_ski.digest,
        authority_cert_issuer=[x509.DirectoryName(issuer_cert.issuer)],
        authority_cert_serial_number=issuer_cert.serial_number,
    )
    policies = x509.UnrecognizedExtension(
        ExtensionOID.CERTIFICATE_POLICIES, certificate_policies_der(kind.policy_oid, identity.notice, identity.cps_uri)
    )
    built = (
        builder.add_extension(aki, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subscriber_key), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(policies, critical=True)
        .add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(identity.crl_uri)], None, None, None)
        ]), critical=False)
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(identity.ocsp_uri)),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(identity.issuing_cert_uri)),
        ]), critical=False)
    )
    if vid is None:  # a generic CMP client sent no VID material: the profile without identifyData (docs/settings.md)
        return built
    san = x509.SubjectAlternativeName([
        x509.OtherName(x509.ObjectIdentifier(str(asn1.OID_IDENTIFY_DATA)), build_identify_data_der(real_name, vid))
    ])
    return built.add_extension(san, critical=False)


def issuing_ca_addresses(identity: CAIdentity) -> tuple[x509.CRLDistributionPoints, x509.AuthorityInformationAccess]:
    """The issuing CA certificate's own CDP (the root's CRL) and AIA (where the root certificate is published)."""
    cdp = x509.CRLDistributionPoints([
        x509.DistributionPoint([x509.UniformResourceIdentifier(identity.root_crl_uri)], None, None, None)
    ])
    aia = x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(identity.root_cert_uri))
    ])
    return cdp, aia


def policy_oid_of(cert: x509.Certificate) -> str | None:
    try:
        policies = cert.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES).value
    except x509.ExtensionNotFound:
        return None
    if isinstance(policies, x509.CertificatePolicies):
        return policies[0].policy_identifier.dotted_string if len(policies) else None
    return None
