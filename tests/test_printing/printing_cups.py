"""A private CUPS scheduler for the tests: its own config/spool dirs in tmp, listening on a unix socket only.

Needs root and Debian's `cupsd` (+ `printer-driver-cups-pdf` for the PDF queue); callers skip otherwise.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CUPSD = shutil.which("cupsd") or ("/usr/sbin/cupsd" if Path("/usr/sbin/cupsd").exists() else None)
LPADMIN = shutil.which("lpadmin") or ("/usr/sbin/lpadmin" if Path("/usr/sbin/lpadmin").exists() else None)
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")


def available() -> str | None:
    """None when a private cupsd can run here, else the reason to skip."""
    if os.geteuid() != 0:
        return "a private cupsd needs root here"
    if not CUPSD or not LPADMIN or not shutil.which("lp") or not shutil.which("lpstat"):
        return "CUPS (cupsd, lpadmin, lp, lpstat) not installed"
    if not Path("/usr/lib/cups/backend/cups-pdf").exists() or not CUPS_PDF_PPD.exists():
        return "printer-driver-cups-pdf not installed"
    return None


@contextmanager
def private_root() -> Iterator[Path]:
    """A world-traversable folder directly under the temp dir: cupsd runs filters as user `lp`, which cannot
    enter pytest's 0700 tmp_path tree to read the spooled job."""
    root = Path(tempfile.mkdtemp(prefix="teller-cupsd-"))
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


class PrivateCups:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "cups.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        for d in ("spool", "spool/tmp", "cache", "state", "log", "ppd"):
            (root / d).mkdir(parents=True, exist_ok=True)
        os.chmod(root / "spool", 0o710)
        (root / "cupsd.conf").write_text(
            f"Listen {self.socket}\nLogLevel warn\nBrowsing Off\nDefaultAuthType None\nWebInterface No\n"
            "MaxJobs 50\nPreserveJobHistory Yes\nJobRetryLimit 0\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (root / "cups-files.conf").write_text(
            f"ServerRoot {root}\nRequestRoot {root / 'spool'}\nTempDir {root / 'spool/tmp'}\n"
            f"CacheDir {root / 'cache'}\nStateDir {root / 'state'}\nErrorLog {root / 'log/error_log'}\n"
            f"AccessLog {root / 'log/access_log'}\nPageLog {root / 'log/page_log'}\n"
            "ServerBin /usr/lib/cups\nDataDir /usr/share/cups\nSystemGroup root\nFileDevice Yes\n"
        )
        self.env = dict(os.environ, CUPS_SERVER=str(self.socket), LC_ALL="C")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [CUPSD, "-f", "-c", str(self.root / "cupsd.conf"), "-s", str(self.root / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            r = subprocess.run(["lpstat", "-r"], env=self.env, capture_output=True, text=True)
            if "scheduler is running" in r.stdout:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"private cupsd did not start: {(self.root / 'log/error_log').read_text()[-2000:] if (self.root / 'log/error_log').exists() else ''}")

    def add_pdf_queue(self, name: str) -> None:
        subprocess.run([LPADMIN, "-p", name, "-E", "-v", "cups-pdf:/", "-P", str(CUPS_PDF_PPD)],
                       env=self.env, check=True, capture_output=True)

    def add_file_queue(self, name: str, out: Path) -> None:
        subprocess.run([LPADMIN, "-p", name, "-E", "-v", f"file://{out}", "-m", "raw"],
                       env=self.env, check=True, capture_output=True)

    def lpadmin(self, *args: str) -> None:
        subprocess.run([LPADMIN, *args], env=self.env, check=True, capture_output=True)

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), env=self.env, capture_output=True, text=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
