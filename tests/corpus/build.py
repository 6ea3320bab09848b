"""Regenerate the corpus: sources/*.fodt from letters.py, then docx/*.docx with LibreOffice.

Run from the repository root: `python -m tests.corpus.build`.  The .docx files are committed,
so the tests never depend on LibreOffice's conversion being byte-for-byte repeatable.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from .fodt import to_fodt
from .letters import LETTERS

HERE = Path(__file__).parent


def main() -> int:
    sources, out = HERE / "sources", HERE / "docx"
    sources.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    paths = []
    for letter in LETTERS:
        path = sources / f"{letter.name}.fodt"
        path.write_text(to_fodt(letter), encoding="utf-8")
        paths.append(str(path))
    with tempfile.TemporaryDirectory() as profile:
        # One soffice run converts every file: bounded to one process.
        subprocess.run(
            ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), *paths],
            check=True, stdout=subprocess.DEVNULL, timeout=600,
        )
    print(f"{len(paths)} letters written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
