"""Printer adapters for the `teller.ports.Printer` port.

`PdfFolderPrinter` (default) "prints" by copying the PDF into an output folder. `CupsPrinter` submits with
`lp`, then polls `lpstat` until the job completed, failing with a Korean PrinterError when the queue is
disabled/offline, the scheduler is down, or the job does not finish in time. Exit codes lie (`lp` succeeds for
an offline printer, `lpstat -r` exits 0 with no scheduler), so the TEXT is parsed, under LC_ALL=C. A job that
did not complete is cancelled: a receipt must never come out of the printer hours later.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from teller.config import Settings
from teller.errors import PrinterError, ValidationError
from teller.ports import Printer, PrintJob

_REQUEST_ID = re.compile(r"request id is (\S+)")
_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
PT_PER_MM = 72 / 25.4


class PdfFolderPrinter:
    """Copies each PDF into `folder` (atomically); completes at once."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = f"pdf:{self.folder}"

    def print_pdf(self, pdf_path: Path, *, timeout_s: float = 30.0) -> PrintJob:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / Path(pdf_path).name
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".printing-", suffix=".pdf")
            os.close(fd)
            shutil.copyfile(pdf_path, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            raise PrinterError(f"PDF 출력 폴더에 저장하지 못했습니다: {exc.strerror or exc}",
                               f"could not save the PDF to the output folder: {exc}") from exc
        return PrintJob(printer=self.name, job_id=target.name, completed=True,
                        message=f"PDF로 저장했습니다: {target}")


def media_for(pdf_path: Path) -> str:
    """CUPS media for the PDF's first page: A4, or Custom.WxHmm for a roll receipt."""
    head = Path(pdf_path).read_bytes()[:200_000]
    m = _MEDIABOX.search(head)
    if not m:
        return "A4"
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    w, h = round((x1 - x0) / PT_PER_MM), round((y1 - y0) / PT_PER_MM)
    if (w, h) == (210, 297):
        return "A4"
    return f"Custom.{w}x{h}mm"


class CupsPrinter:
    """A CUPS queue driven through the `lp`/`lpstat`/`cancel` commands (CUPS_SERVER from the environment)."""

    def __init__(self, queue: str, lp: str = "lp", lpstat: str = "lpstat", cancel: str = "cancel",
                 poll_s: float = 0.25, media: str | None = None) -> None:
        if not queue or not re.fullmatch(r"[A-Za-z0-9_.\-]+", queue):
            raise ValidationError(f"프린터 대기열 이름이 올바르지 않습니다: {queue!r}", f"invalid CUPS queue name: {queue!r}")
        self.queue = queue
        self.name = f"cups:{queue}"
        self._lp, self._lpstat, self._cancel = lp, lpstat, cancel
        self._poll_s = poll_s
        self._media = media

    # ---------------------------------------------------------------------------------------- commands
    def _run(self, *argv: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, LC_ALL="C", LANG="C")  # English text to parse
        try:
            return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        except FileNotFoundError as exc:
            raise PrinterError(f"인쇄 명령({argv[0]})을 찾을 수 없습니다. CUPS가 설치되어 있는지 확인하십시오.",
                               f"print command not found: {argv[0]}") from exc
        except subprocess.TimeoutExpired as exc:
            raise PrinterError("인쇄 스케줄러가 응답하지 않습니다.", "the print scheduler does not answer") from exc

    def check_ready(self) -> None:
        """Raise PrinterError unless the scheduler runs and the queue is enabled and not offline."""
        sched = self._run(self._lpstat, "-r")
        text = (sched.stdout + sched.stderr).lower()
        if "scheduler is running" not in text:
            raise PrinterError("인쇄 스케줄러(CUPS)가 멈춰 있습니다. 영수증은 저장되었으니 나중에 재발행하십시오.",
                               "the print scheduler (CUPS) is not running; the receipt was saved — reprint later")
        state = self._run(self._lpstat, "-l", "-p", self.queue)
        out = state.stdout + "\n" + state.stderr
        low = out.lower()
        if state.returncode != 0 or "invalid destination" in low or "does not exist" in low or not low.strip():
            raise PrinterError(f"프린터 '{self.queue}'를 찾을 수 없습니다.", f"printer '{self.queue}' does not exist")
        first = next((ln for ln in low.splitlines() if ln.startswith("printer ")), low)
        alerts = next((ln for ln in low.splitlines() if ln.strip().startswith("alerts:")), "")
        if " disabled" in first or "offline" in alerts or "offline" in first:
            reason = _reason(out)
            raise PrinterError(f"프린터가 오프라인입니다 ({self.queue}){': ' + reason if reason else ''}. "
                               "전원·용지·연결을 확인한 뒤 재발행하십시오.",
                               f"the printer is offline or disabled ({self.queue}){': ' + reason if reason else ''}")

    def _job_listed(self, which: str, job_id: str) -> bool:
        res = self._run(self._lpstat, "-W", which, "-o", self.queue)
        return any(line.split()[:1] == [job_id] for line in res.stdout.splitlines())

    # ---------------------------------------------------------------------------------------- port
    def print_pdf(self, pdf_path: Path, *, timeout_s: float = 30.0) -> PrintJob:
        self.check_ready()
        media = self._media or media_for(pdf_path)
        sub = self._run(self._lp, "-d", self.queue, "-o", f"media={media}", str(pdf_path))
        match = _REQUEST_ID.search(sub.stdout)
        if sub.returncode != 0 or not match:
            detail = (sub.stderr or sub.stdout).strip()
            if "scheduler" in detail.lower() or "does not exist" in detail.lower():
                self.check_ready()  # turn it into the precise message when we can
            raise PrinterError(f"인쇄 요청이 거부되었습니다: {detail}", f"the print request was refused: {detail}")
        job_id = match.group(1)
        deadline = time.monotonic() + timeout_s
        while True:
            if self._job_listed("completed", job_id):
                return PrintJob(printer=self.name, job_id=job_id, completed=True, message=f"인쇄했습니다 ({job_id})")
            try:
                self.check_ready()  # went offline / scheduler stopped while waiting
            except PrinterError:
                self._run(self._cancel, job_id)
                raise
            if time.monotonic() >= deadline:
                self._run(self._cancel, job_id)
                raise PrinterError(f"인쇄가 {timeout_s:.0f}초 안에 끝나지 않아 취소했습니다 ({job_id}). 재발행하십시오.",
                                   f"the print job did not complete within {timeout_s:.0f} s and was cancelled")
            time.sleep(self._poll_s)


def _reason(lpstat_text: str) -> str:
    """The reason CUPS prints under "printer Q disabled since … -" (e.g. "paper out"), if any."""
    lines = lpstat_text.splitlines()
    if lines and lines[0].rstrip().endswith("-") and len(lines) > 1 and ":" not in lines[1]:
        return lines[1].strip()
    return ""


def make_printer(settings: Settings) -> Printer:
    """The configured printer: "cups" (needs printer_queue) or "pdf" (copies into <home>/printed)."""
    if settings.printer == "cups":
        if not settings.printer_queue:
            raise ValidationError("CUPS 프린터 대기열(printer_queue)이 설정되지 않았습니다.",
                                  "printer = cups needs printer_queue")
        return CupsPrinter(settings.printer_queue)
    if settings.printer == "pdf":
        return PdfFolderPrinter(settings.home / "printed")
    raise ValidationError(f"알 수 없는 프린터 종류입니다: {settings.printer}", f"unknown printer kind: {settings.printer}")
