"""CMP over HTTP (RFC 6712): `POST /pkix/` with `application/pkixcmp`. HTTP errors for what is not CMP at all
(wrong content type 415, oversized body 413); everything else is answered by a CMP message."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ca_service.cmp_service import CmpService
from ca_service.limits import BodyTooLarge, read_body
from teller.pki.cmp import MAX_MESSAGE_BYTES

CONTENT_TYPE = "application/pkixcmp"


def cmp_routes(service: CmpService) -> list[BaseRoute]:
    async def pkix(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != CONTENT_TYPE:
            return PlainTextResponse(f"content type must be {CONTENT_TYPE}\n", status_code=415)
        try:
            der = await read_body(request, MAX_MESSAGE_BYTES)
        except BodyTooLarge:
            return PlainTextResponse("CMP message too large\n", status_code=413)
        answer = await run_in_threadpool(service.handle, der)
        return Response(answer, media_type=CONTENT_TYPE)

    return [Route("/pkix/", pkix, methods=["POST"]), Route("/pkix", pkix, methods=["POST"])]
