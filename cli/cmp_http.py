"""CMP over HTTP (RFC 6712) with httpx: the `CmpTransport` port for the customer's client and the terminal."""

from __future__ import annotations

import httpx

from teller.errors import UpstreamError

CONTENT_TYPE = "application/pkixcmp"
MAX_RESPONSE_BYTES = 256 * 1024


class HttpCmpTransport:
    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def exchange(self, request_der: bytes) -> bytes:
        try:
            answer = httpx.post(self.url, content=request_der, headers={"content-type": CONTENT_TYPE},
                                timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"인증기관에 연결할 수 없습니다: {self.url}",
                                f"cannot reach the CA at {self.url} ({type(exc).__name__})") from None
        if answer.status_code != 200 or not answer.headers.get("content-type", "").startswith(CONTENT_TYPE):
            raise UpstreamError(f"인증기관이 CMP로 응답하지 않았습니다 (HTTP {answer.status_code})",
                                f"the CA did not answer in CMP (HTTP {answer.status_code})")
        if len(answer.content) > MAX_RESPONSE_BYTES:
            raise UpstreamError("인증기관의 응답이 너무 큽니다", "the CA's answer is too large")
        return answer.content
