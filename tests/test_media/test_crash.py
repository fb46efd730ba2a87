"""A writer process killed with SIGKILL at random moments never leaves a partial certificate folder.

Each trial starts crash_writer.py on a fresh medium, kills it 0–30 ms after it is ready (it writes version 0, then
keeps replacing it), and checks the medium: before recovery the subject's folder is absent or byte-identical to a
version the writer meant; after `recover_media` no hidden leftover remains and the folder is the last committed
version (or the one being committed when the kill landed), and the medium takes a new write.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_writer import CA, SUBJECT, version_files
from media_testkit import expect_files, hidden_entries, read_folder

from teller.media import list_certificate_folders, recover_media, write_certificate_folder

SCRIPT = Path(__file__).with_name("crash_writer.py")
TRIALS = 60
MAX_KILL_DELAY_S = 0.030


def _versions_of(folder_content: dict[str, bytes], seed: int, candidates: list[int]) -> list[int]:
    return [v for v in candidates if v >= 0 and version_files(seed, v) == folder_content]


def _visible_version(root: Path, seed: int, candidates: list[int]) -> int | None:
    """None if the subject has no folder; else the version it holds (fails if it matches none of the candidates)."""
    folders = list_certificate_folders(root)
    if not folders:
        return None
    assert [(f.ca_folder, f.user_folder) for f in folders] == [(CA, SUBJECT)]
    content = read_folder(folders[0].path)
    matches = _versions_of(content, seed, candidates)
    assert matches, f"partial or foreign folder on the medium: files {sorted(content)}"
    return matches[0]


def _run_trial(root: Path, seed: int, delay: float) -> tuple[int, bool]:
    """Kill the writer `delay` seconds after it is ready; returns (last committed version or -1, recovery changed)."""
    env = dict(os.environ, CRASH_WRITER_SLOW="1")
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(root), str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip() == "ready", f"writer did not start: {first!r} {proc.stderr.read() if proc.stderr else ''}"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"writer ended on its own ({proc.returncode}): {err[-2000:]}"
    committed = [int(line.split()[1]) for line in out.splitlines() if line.startswith("committed ")]
    last = committed[-1] if committed else -1

    # Straight after the kill, before any recovery: nothing, or a complete version the writer meant.
    candidates = [last, last + 1] if last >= 0 else [0]
    _visible_version(root, seed, candidates)

    report = recover_media(root)
    assert hidden_entries(root) == [], f"hidden leftovers after recovery: {hidden_entries(root)}"
    after = _visible_version(root, seed, candidates)
    if last >= 0:
        assert after in (last, last + 1), f"committed version {last} lost (found {after})"

    # The medium is usable again: one more replace goes through and leaves nothing hidden.
    files = version_files(seed, 10_000)
    write_certificate_folder(root, CA, SUBJECT, files, expect_files(files), replace=True)
    assert _visible_version(root, seed, [10_000]) == 10_000
    assert hidden_entries(root) == []
    return last, report.changed


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_partial_folder(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    outcomes: list[tuple[int, bool]] = []
    for trial in range(TRIALS):
        root = tmp_path / f"stick-{trial}"
        root.mkdir()
        delay = rng.uniform(0, MAX_KILL_DELAY_S)
        try:
            outcomes.append(_run_trial(root, seed=trial, delay=delay))
        except AssertionError as exc:
            raise AssertionError(f"trial {trial} (kill after {delay * 1000:.1f} ms): {exc}") from exc
    # The kills must have landed mid-write often enough to mean something: some trials needed recovery, and some
    # writers had committed at least one version before they died.
    assert any(changed for _, changed in outcomes), "no kill landed in the middle of a write"
    assert any(last >= 0 for last, _ in outcomes), "no writer ever committed before the kill"
