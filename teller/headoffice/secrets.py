"""Would an event leak a secret to head office? Judged by structure, never by digit runs.

- A details key that names a secret ("rrn", "password", "signPri", …) is a leak whatever its value.
- Text fields (`subject`, details values) leak when they hold a full resident number: a real birth date, a
  gender digit and a correct check digit (`teller.identity.rrn.find_rrn`). A uuid4-hex id holds a 13-digit run
  about 0.67 % of the time, so ids (`event_id`, `customer_ref`, `staff_id`, `terminal_id`, and details keys
  named like ids) are opaque and never scanned as text.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from teller.identity.rrn import find_rrn

# Details keys that would carry a secret; compared after lower-casing and dropping "-"/"_".
FORBIDDEN_DETAIL_KEYS = frozenset({
    "rrn", "residentnumber", "residentregistrationnumber", "jumin", "password", "passwd", "pwd", "pin",
    "certpassword", "privatekey", "signpri", "secret", "secretkey", "key", "keypassword", "passphrase",
})
# Details keys whose values are opaque identifiers (normalised key ends with one of these).
_ID_KEY_SUFFIXES = ("id", "ref", "serial", "hash", "transaction", "fingerprint", "nonce")
# Event fields holding free text; the others are ids, times, enums or hashes.
TEXT_FIELDS = ("subject",)


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


@lru_cache(maxsize=4096)
def _forbidden_key(key: str) -> bool:
    return _norm(key) in FORBIDDEN_DETAIL_KEYS


@lru_cache(maxsize=4096)
def _opaque_key(key: str) -> bool:
    return _norm(key).endswith(_ID_KEY_SUFFIXES)


def secret_in_details(details: Any, path: str = "details", *, today: date | None = None) -> str | None:
    """Where a payload's details would leak a secret (forbidden key or full resident number), else None."""
    if isinstance(details, dict):
        for key, value in details.items():
            if _forbidden_key(str(key)):
                return f"{path}.{key}"
            if _opaque_key(str(key)) and not isinstance(value, (dict, list, tuple)):
                continue
            found = secret_in_details(value, f"{path}.{key}", today=today)
            if found:
                return found
    elif isinstance(details, (list, tuple)):
        for i, value in enumerate(details):
            found = secret_in_details(value, f"{path}[{i}]", today=today)
            if found:
                return found
    elif isinstance(details, str) and find_rrn(details, today=today):
        return path
    return None


def secret_in_event(payload: dict[str, Any], *, today: date | None = None) -> str | None:
    """Where an event payload would leak a secret (a field name or a details path), else None."""
    for name in TEXT_FIELDS:
        value = payload.get(name)
        if isinstance(value, str) and find_rrn(value, today=today):
            return name
    return secret_in_details(payload.get("details"), today=today)
