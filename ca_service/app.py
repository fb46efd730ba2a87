"""The one HTTP application of the CA service: each protocol contributes its routes from a module of its own."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute


def create_app(routes: Sequence[BaseRoute]) -> Starlette:
    """The service's application over the given protocol routes (CMP, OCSP, CRL)."""
    return Starlette(routes=list(routes))
