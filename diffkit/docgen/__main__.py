"""``python -m diffkit.docgen [--check] [--out DIR]``: regenerate (or check) docs/reference/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffkit.docgen import REFERENCE_DIR, stale_files, write


def main(argv: list[str] | None = None) -> int:
    """Write the reference pages, or with ``--check`` report stale ones and return 1."""
    parser = argparse.ArgumentParser(prog="python -m diffkit.docgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="Only compare; exit 1 listing stale files.")
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR, help=f"Output folder (default {REFERENCE_DIR}).")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.out)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("regenerate with: python -m diffkit.docgen", file=sys.stderr)
            return 1
        print(f"up to date: {args.out}")
        return 0
    written = write(args.out)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"up to date: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
