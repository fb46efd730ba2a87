"""Field encryption of personal data (the RRN, 개인정보보호법 art. 24-2) and the keys derived for the terminal.

One 32-byte master key per terminal home, in `<secrets>/master.key` (mode 0600, directory 0700) or given as 64 hex
characters in `TELLER_MASTER_KEY` (e.g. from a hardware-backed secret store). Every use gets its own key by
HKDF-SHA256 with a purpose label, so the encryption key, the look-up hash key, the CA key passphrase and the ID
registry key are independent: leaking one (say the look-up key, to a reporting tool) does not reveal the others.

Encrypted blob (versioned, so the scheme can change and old rows still decrypt):
    0x01 | nonce (12 random bytes) | AES-256-GCM ciphertext + 16-byte tag
with AAD = "branch-teller/field/v1" NUL context: a value encrypted for one context (e.g. "customer:<id>:rrn")
does not decrypt under another, so ciphertexts cannot be swapped between rows.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Mapping
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from teller.errors import ErrorKind, IntegrityError, TellerError

MASTER_KEY_FILE = "master.key"
MASTER_KEY_BYTES = 32
ENV_MASTER_KEY = "TELLER_MASTER_KEY"
BLOB_VERSION = 1
_NONCE = 12
_TAG = 16
_AAD_PREFIX = b"branch-teller/field/v1\x00"


def _key_error(ko: str, en: str) -> TellerError:
    return TellerError(ko, en, kind=ErrorKind.MASTER_KEY_ERROR)


def load_or_create_master_key(secrets_dir: Path, env: Mapping[str, str] | None = None) -> bytes:
    """The terminal's master key: `TELLER_MASTER_KEY` (hex) if set, else `<secrets_dir>/master.key`, created once.

    Creation is atomic and race-safe: the key is written to a private temp file, then hard-linked to its name
    (which fails if another process won the race; its key is then used). A half-written key file never appears.
    """
    env = os.environ if env is None else env
    if env.get(ENV_MASTER_KEY):
        try:
            key = bytes.fromhex(env[ENV_MASTER_KEY].strip())
        except ValueError:
            key = b""
        if len(key) != MASTER_KEY_BYTES:
            raise _key_error(f"{ENV_MASTER_KEY}는 16진수 64자(32바이트)여야 합니다.",
                             f"{ENV_MASTER_KEY} must be 64 hex characters (32 bytes).")
        return key

    secrets_dir = Path(secrets_dir)
    path = secrets_dir / MASTER_KEY_FILE
    try:
        secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(secrets_dir, 0o700)  # mkdir's mode is masked by umask; an existing dir may be too open
        if not path.exists():
            _create_key_file(path)
        key = path.read_bytes()
    except OSError as e:
        raise _key_error("단말기 마스터 키를 만들거나 읽을 수 없습니다.",
                         f"Cannot create or read the terminal master key: {e}") from None
    if len(key) != MASTER_KEY_BYTES:
        raise _key_error("단말기 마스터 키 파일이 손상되었습니다.",
                         f"The terminal master key file {path} is corrupt (wrong length).")
    return key


def _create_key_file(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(MASTER_KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def derive_key(master: bytes, purpose: str, length: int = 32) -> bytes:
    """An independent key for one purpose (HKDF-SHA256, info = "branch-teller/" + purpose)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=b"branch-teller/" + purpose.encode("utf-8")).derive(master)


class FieldCrypto:
    """Encrypts single values (RRN) for the database and computes their look-up hashes."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != MASTER_KEY_BYTES:
            raise ValueError("master key must be 32 bytes")
        self._master = bytes(master_key)
        self._aead = AESGCM(derive_key(self._master, "field-encryption/v1"))
        self._lookup_key = derive_key(self._master, "lookup-hash/v1")

    def __repr__(self) -> str:
        return "FieldCrypto(<key hidden>)"

    def encrypt(self, value: str, context: str) -> bytes:
        nonce = os.urandom(_NONCE)
        ct = self._aead.encrypt(nonce, value.encode("utf-8"), _AAD_PREFIX + context.encode("utf-8"))
        return bytes([BLOB_VERSION]) + nonce + ct

    def decrypt(self, blob: bytes, context: str) -> str:
        """The value; IntegrityError when the blob is tampered, truncated, of another context or another key."""
        if not isinstance(blob, (bytes, bytearray, memoryview)):
            raise self._undecryptable()
        blob = bytes(blob)
        if len(blob) < 1 + _NONCE + _TAG or blob[0] != BLOB_VERSION:
            raise self._undecryptable()
        try:
            plain = self._aead.decrypt(blob[1:1 + _NONCE], blob[1 + _NONCE:], _AAD_PREFIX + context.encode("utf-8"))
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise self._undecryptable() from None

    @staticmethod
    def _undecryptable() -> IntegrityError:
        return IntegrityError(
            "암호화된 개인정보를 복호화할 수 없습니다 (손상되었거나 다른 항목·단말기의 값입니다).",
            "Cannot decrypt the protected field: it was tampered with, or belongs to another record or terminal.",
            kind=ErrorKind.FIELD_DECRYPT_FAILED,
        )

    def lookup_hash(self, value: str) -> str:
        """Keyed hash (HMAC-SHA256 hex) for finding a record by value: pass the canonical form (`Rrn.digits`)."""
        return hmac.new(self._lookup_key, value.encode("utf-8"), sha256).hexdigest()

    def ca_passphrase(self) -> bytes:
        """Passphrase for the embedded CA's private key files (ASCII, 43 chars)."""
        return base64.urlsafe_b64encode(derive_key(self._master, "ca-key-passphrase/v1")).rstrip(b"=")

    def id_registry_key(self) -> bytes:
        """Key for the training ID registry's HMACs (teller.identity.authenticity.TrainingRegistry)."""
        return derive_key(self._master, "id-registry/v1")
