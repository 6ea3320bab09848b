"""Run every benchmark and print JSON lines."""

from __future__ import annotations

import sys

from . import pages


def main() -> int:
    only = set(sys.argv[1:])  # e.g. `python -m bench pages`: run just those groups
    for line in pages.run():
        print(line, flush=True)
    if only and only <= {"pages"}:
        return 0
    try:
        from . import export as export_bench
    except ImportError as error:  # pragma: no cover - bench dependency missing
        print(f'{{"name": "export_final", "error": "{error}"}}')
    else:
        for line in export_bench.run():
            print(line, flush=True)
    from . import load

    for line in load.run():
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
