"""Command palette (F5): find a customer (name / birth-date prefix) or a certificate (serial prefix). The search
services run in a thread; choosing a hit makes that customer current and opens the matching screen."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from textual.command import Hit, Hits, Provider

from screens.strings import t

log = logging.getLogger("teller.tui")


class TellerCommands(Provider):
    async def search(self, query: str) -> Hits:
        app: Any = self.app
        query = query.strip()
        if app.session is None or not app.deps_ready or len(query) < 2:
            return
        from teller.services.customers import find_customers
        from teller.services.queries import search_certificates

        deps, session, lang = app.deps, app.session, app.lang
        try:
            customers = await asyncio.to_thread(find_customers, deps, session, query, 10)
            certs = await asyncio.to_thread(partial(search_certificates, deps, session, text=query, limit=10))
        except Exception:  # a failed search shows nothing; the teller can retry
            log.exception("palette search failed")
            return
        for c in customers:
            label = t("palette.customer", lang, name=c.name, rrn=c.rrn_masked)
            yield Hit(1.0, label, partial(self._open_customer, c.customer_id, None), text=label)
        for cert in certs:
            label = t("palette.cert", lang, serial=cert.serial, status=cert.status.value)
            yield Hit(0.9, label, partial(self._open_customer, cert.customer_id, cert.serial), text=label)

    def _open_customer(self, customer_id: str, serial: str | None) -> None:
        app: Any = self.app
        screen = app.screen
        from teller.services.customers import get_customer

        deps, session = app.deps, app.session

        def opened(customer: Any) -> None:
            from screens.certificate import CertificateScreen
            from screens.identify import IdentifyScreen

            app.set_customer(customer, False)
            if serial is not None:
                app.certificate = next((c for c in customer.certificates if c.serial == serial), None)
                app.push_screen(CertificateScreen())
            else:
                app.push_screen(IdentifyScreen())

        if hasattr(screen, "run_service"):
            screen.run_service(lambda: get_customer(deps, session, customer_id), opened)
