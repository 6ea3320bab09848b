"""The converter process: in the worker's own session (so its lower priority holds), in a group
of its own (so a timeout kills whatever it started)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from drafting.export import pdf

HANGING_CONVERTER = """#!{python}
import json, os, subprocess, sys, time
helper = subprocess.Popen(["sleep", "300"])
with open({report!r} + ".tmp", "w") as out:
    json.dump({{"sid": os.getsid(0), "pgid": os.getpgid(0), "pid": os.getpid(),
               "helper": helper.pid, "nice": os.nice(0)}}, out)
os.replace({report!r} + ".tmp", {report!r})
time.sleep(300)
"""


def _gone(pid: int) -> bool:
    """Dead or a zombie waiting for its new parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_a_hanging_conversion_is_killed_with_its_helpers_and_ran_in_our_session(tmp_path):
    report = tmp_path / "report.json"
    converter = tmp_path / "soffice"
    converter.write_text(HANGING_CONVERTER.format(python=sys.executable, report=str(report)))
    converter.chmod(0o755)

    with pytest.raises(pdf.PdfConversionFailed):
        pdf._convert_once(str(converter), b"PK", timeout=8)

    seen = json.loads(report.read_text())
    # One session with the worker: Linux gives each session one share of the processor
    # (autogroup), so a converter in a session of its own would outweigh its nice value.
    assert seen["sid"] == os.getsid(0)
    assert seen["pgid"] == seen["pid"] != os.getpgid(0)
    assert seen["nice"] >= min(os.nice(0) + 1, 19)  # lower priority, unless already lowest
    deadline = time.monotonic() + 30  # SIGKILL is delivered at once; reaping may lag
    while not (_gone(seen["pid"]) and _gone(seen["helper"])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(seen["pid"]) and _gone(seen["helper"])
