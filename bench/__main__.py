"""Run the benchmarks and print JSON lines: `python -m bench [pages] [export] [load] [queue]` (default all)."""

from __future__ import annotations

import sys

GROUPS = ("pages", "export", "load", "queue")


def main() -> int:
    chosen = [name for name in sys.argv[1:] if name in GROUPS] or list(GROUPS)
    for name in chosen:
        if name == "pages":
            from . import pages as group
        elif name == "export":
            try:
                from . import export as group
            except ImportError as error:  # pragma: no cover - bench dependency missing
                print(f'{{"name": "export_final", "error": "{error}"}}')
                continue
        elif name == "queue":
            from . import queue as group
        else:
            from . import load as group
        for line in group.run():
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
