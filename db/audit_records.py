"""Chain verification over stored record bytes: the SQL that reads (seq, prev_hash, hash, record) in keyset
batches, and the one consistency query that finds the events whose queryable columns no longer say what its
record says.

The consistency query only has to be conservative: an event it passes decodes to exactly its record (so the
column rendering `teller.audit_chain.verify_chain` compares is the record); an event it flags, or any error it
raises, sends that batch to the decoding path, where `verify_chain` gives the verdict.
"""

from __future__ import annotations

from typing import Final

_TEXT_COLUMNS: Final = ("branch_id", "event_id", "terminal_id", "action", "result")
_NULLABLE_TEXT_COLUMNS: Final = ("staff_id", "customer_ref", "subject")

LINKS: Final = (
    "SELECT seq, prev_hash, hash, record FROM audit_events WHERE branch_id = :branch AND seq > :after "
    "ORDER BY seq LIMIT :n"
)


def _sqlite_matches() -> str:
    # typeof checks: a column rewritten as another type may compare equal in SQL yet decode differently
    parts = ["typeof(seq) = 'integer' AND json_type(j, '$.seq') = 'integer' AND seq = json_extract(j, '$.seq')",
             "typeof(at) = 'text' AND replace(at, ' ', 'T') || 'Z' = json_extract(j, '$.at')",
             "typeof(details) = 'text' AND json_valid(details) AND json(details) = json_extract(j, '$.details')"]
    parts += [f"typeof({c}) = 'text' AND {c} = json_extract(j, '$.{c}')" for c in _TEXT_COLUMNS]
    parts += [f"(typeof({c}) = 'text' AND {c} = json_extract(j, '$.{c}') "
              f"OR {c} IS NULL AND json_type(j, '$.{c}') = 'null')" for c in _NULLABLE_TEXT_COLUMNS]
    # CASE: the json functions raise on a text that is not JSON (a record rewritten as garbage)
    # coalesce: a comparison with NULL is NULL, which NOT would not turn into a mismatch
    return "CASE WHEN json_valid(j) THEN " + " AND ".join(f"coalesce({p}, 0)" for p in parts) + " ELSE 0 END"


def _postgresql_matches() -> str:
    parts = ["seq::text = j->>'seq'", "at = (j->>'at')::timestamptz",
             "replace(event_id::text, '-', '') = j->>'event_id'", "details::text = (j->'details')::text"]
    parts += [f"{c} = j->>'{c}'" for c in _TEXT_COLUMNS if c != "event_id"]
    parts += [f"{c} IS NOT DISTINCT FROM j->>'{c}'" for c in _NULLABLE_TEXT_COLUMNS]
    return " AND ".join(f"coalesce({p}, false)" for p in parts)


_RECORDS: Final = {
    "sqlite": "SELECT *, CAST(record AS TEXT) AS j FROM audit_events WHERE branch_id = :branch AND record IS NOT NULL",
    "postgresql": "SELECT *, convert_from(record, 'UTF8')::jsonb AS j FROM audit_events "
                  "WHERE branch_id = :branch AND record IS NOT NULL",
}
_MATCHES: Final = {"sqlite": _sqlite_matches(), "postgresql": _postgresql_matches()}


def mismatches(dialect: str) -> str:
    """The query (parameter :branch) for the seqs, in order, whose columns do not match their stored records
    (none on an untouched trail)."""
    return f"SELECT seq FROM ({_RECORDS[dialect]}) AS r WHERE NOT ({_MATCHES[dialect]}) ORDER BY seq"
