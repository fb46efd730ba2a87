"""screens package of branch-teller (see docs/architecture.md)."""
