"""A writer process killed with SIGKILL at random moments never leaves a partial certificate folder.

Each trial starts crash_writer.py on a fresh medium (it writes version 0, then keeps replacing it), waits until it has
committed a random 0–3 versions, kills it a random 0–15 ms later (so kills land in the first write and in replaces
however fast or loaded the machine is), and checks the medium: before recovery the subject's folder is absent or byte-identical to a
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
MAX_KILL_DELAY_S = 0.015
MAX_COMMITS_BEFORE_KILL = 3


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


def _run_trial(root: Path, seed: int, commits: int, delay: float) -> tuple[int, bool]:
    """Kill the writer `delay` seconds after it reported `commits` finished writes; returns (last committed version
    or -1, whether recovery had anything to do)."""
    env = dict(os.environ, CRASH_WRITER_SLOW="1")
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(root), str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip() == "ready", f"writer did not start: {first!r} {proc.stderr.read() if proc.stderr else ''}"
        seen = [proc.stdout.readline() for _ in range(commits)]
        assert all(line.startswith("committed ") for line in seen), f"writer failed: {seen!r}"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        rest, err = proc.communicate(timeout=10)
        out = "".join(seen) + rest
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
        commits = rng.randint(0, MAX_COMMITS_BEFORE_KILL)
        delay = rng.uniform(0, MAX_KILL_DELAY_S)
        try:
            outcomes.append(_run_trial(root, seed=trial, commits=commits, delay=delay))
        except AssertionError as exc:
            raise AssertionError(f"trial {trial} (kill {delay * 1000:.1f} ms after {commits} commits): {exc}") from exc
    # The kills must have landed mid-write often enough to mean something: some trials needed recovery, some died
    # in the first write and some in a replace.
    assert any(changed for _, changed in outcomes), "no kill landed in the middle of a write"
    assert any(last == -1 for last, _ in outcomes), "no kill landed in the first write"
    assert any(last >= 0 for last, _ in outcomes), "no kill landed in a replace"
