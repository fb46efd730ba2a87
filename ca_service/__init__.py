"""The CA as a service: CMP enrolment (RFC 4210 over HTTP, RFC 6712), an OCSP responder (RFC 6960) and CRLs over
HTTP, one Starlette application served by uvicorn (`teller ca serve`).

An adapter beside `db/` and `printing/`: it imports an HTTP stack and `teller`, never `screens`.
"""
