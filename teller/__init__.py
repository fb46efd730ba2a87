"""branch-teller: the domain of issuing Korean joint certificates (공동인증서) at a bank branch counter.

This package knows nothing of Textual, SQLAlchemy or reportlab (checked by import-linter); `cli` and
`cli.wiring` are the composition root that plugs the `db`, `printing` and `screens` adapters into the ports.
"""

__version__ = "0.1.0"
