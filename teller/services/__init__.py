"""Use cases, one module each. Every function takes `Deps` (and usually the signed-in `StaffSession`), opens
one unit of work, appends its audit event in the same transaction and commits once. Shared by the TUI, the CLI
and the tests."""
