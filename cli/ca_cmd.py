"""`teller ca serve [--listen HOST:PORT] [--workers N]` and `teller ca status [--json]`.

serve: the CA service of the home (CMP at /pkix/, OCSP, CRLs, CA certificates) under uvicorn. The
socket is bound first and `listening on http://HOST:PORT` printed (port 0 picks a free one), then N worker
processes share it; the CA is opened once beforehand so a bad home is one clear line, not N tracebacks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from teller.errors import StorageError, ValidationError

DEFAULT_LISTEN = "127.0.0.1:8829"
MAX_WORKERS = 32
_HOME_ENV = "TELLER_HOME"  # how the worker processes (spawned by uvicorn) learn the home


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ca = sub.add_parser("ca", help="CA 서비스 (OCSP, CRL; the CA as a service)")
    ca_sub = ca.add_subparsers(dest="ca_command", metavar="ACTION", required=True)
    serve = ca_sub.add_parser("serve", help="CA 서비스 실행 (uvicorn)")
    serve.add_argument("--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT (default {DEFAULT_LISTEN}; port 0: any free)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(func=_serve)
    status = ca_sub.add_parser("status", help="CA가 가진 인증서 상태별 수 (certificates per status)")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=_status)


def _open_ca(home: str | Path | None) -> tuple[Any, Any, bytes]:
    """(settings, EmbeddedCA, passphrase) of an initialised home; never creates a CA."""
    from teller.config import load_settings
    from teller.pki.ca import EmbeddedCA
    from teller.security.field_crypto import FieldCrypto, load_or_create_master_key

    settings = load_settings(home)
    if not (settings.ca_dir / "issuing.der").exists():
        raise StorageError(f"CA가 아직 만들어지지 않았습니다 (먼저 teller init): {settings.ca_dir}",
                           f"no CA in {settings.ca_dir} (run teller init first)")
    passphrase = FieldCrypto(load_or_create_master_key(settings.secrets_dir)).ca_passphrase()
    return settings, EmbeddedCA.from_settings(settings, passphrase), passphrase


def service_app() -> Any:
    """The service's ASGI application for the home in $TELLER_HOME (uvicorn's factory, in every worker)."""
    from ca_service import crl, ocsp
    from ca_service.app import create_app
    from ca_service.cmp_endpoint import cmp_routes
    from teller.ports import SystemClock

    settings, ca, passphrase = _open_ca(os.environ.get(_HOME_ENV))
    clock = SystemClock()
    responder = ocsp.OcspResponder(ca, ca.ocsp_signer(passphrase), clock)
    return create_app([*cmp_routes(_cmp_service(settings, ca, passphrase, migrate=False)), *ocsp.routes(responder),
                       *crl.routes(ca, passphrase, clock)])


def _cmp_service(settings: Any, ca: Any, passphrase: bytes, *, migrate: bool) -> Any:
    from datetime import timedelta

    from ca_service.cmp_service import CmpService, CmpSettings
    from ca_service.cmp_store import CmpStore

    store = CmpStore(settings.ca_database_url, settings.ca_dir, migrate=migrate)
    return CmpService(ca, store, ca.cmp_signer(passphrase), CmpSettings(confirm_timeout=timedelta(seconds=settings.cmp_confirm_timeout_s),
                                             generic_client=settings.cmp_generic_client,
                                             validity_years=settings.validity_years))


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValidationError(f"--listen 값이 잘못되었습니다 (예: 127.0.0.1:8829): {text}",
                              f"--listen must be HOST:PORT, e.g. 127.0.0.1:8829, not {text}")
    return host.strip("[]"), int(port)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    host, port = _parse_listen(args.listen)
    if not 1 <= args.workers <= MAX_WORKERS:
        raise ValidationError(f"--workers는 1에서 {MAX_WORKERS} 사이입니다", f"--workers must be 1..{MAX_WORKERS}")
    settings, ca, passphrase = _open_ca(args.home)
    ca.ocsp_signer(passphrase)  # created (or renewed) once here, not raced by the workers
    _cmp_service(settings, ca, passphrase, migrate=True).store.close()  # CMP tables and signer made once, before the workers
    os.environ[_HOME_ENV] = str(settings.home)
    config = uvicorn.Config("cli.ca_cmd:service_app", factory=True, host=host, port=port, workers=args.workers,
                            log_level="warning", access_log=False, lifespan="off")
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn logs the reason and exits; say it in one line
        raise StorageError(f"주소에 연결할 수 없습니다: {args.listen}", f"cannot listen on {args.listen}") from None
    bound_host, bound_port = sock.getsockname()[:2]
    print(f"listening on http://{bound_host}:{bound_port}", flush=True)
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
    return 0


def _status(args: argparse.Namespace) -> int:
    from teller.domain import RevocationReason

    _settings, ca, _ = _open_ca(args.home)
    book = ca.status_book()
    counts = Counter(r.reason for r in book.revoked.values())
    held = counts.pop(RevocationReason.CERTIFICATE_HOLD, 0)
    result = {"issued": len(book.issued), "good": len(book.issued) - len(book.revoked), "held": held,
              "revoked": sum(counts.values()), "revoked_by_reason": {r.value: n for r, n in sorted(counts.items())}}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    lines = [f"발급 (issued)      {result['issued']}", f"정상 (good)        {result['good']}",
             f"효력정지 (held)    {held}", f"폐지 (revoked)     {result['revoked']}"]
    lines += [f"  {r.label_ko} ({r.value})  {n}" for r, n in sorted(counts.items())]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
