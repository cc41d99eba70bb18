"""The ``gtzan`` command line (also ``python -m gtzan_helpers``).

Errors a user can cause (a bad file, a bad table) print one line on stderr naming
the file and the reason, and exit with status 1; no traceback.
"""

from __future__ import annotations

import argparse
import sys

EXAMPLES = {
    "extract": "example: gtzan extract data/gtzan/genres -o features.csv --jobs 2 --label-from-folder",
}


def _extract(args) -> int:
    from .features import extract_files, write_table
    from .paths import CACHE_DIR

    frame, errors = extract_files(args.paths, n_jobs=args.jobs, progress=not args.quiet,
                                  label_from_folder=args.label_from_folder,
                                  cache_dir=None if args.no_cache else CACHE_DIR)
    for error in errors:
        print(f"gtzan extract: {error}", file=sys.stderr)
    if len(frame):
        write_table(frame, args.output)
        print(f"wrote {len(frame)} rows of {frame['filename'].str.rsplit('.', n=2).str[0].nunique()} "
              f"files to {args.output}", file=sys.stderr)
    return 1 if errors or not len(frame) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gtzan", description="Blues or metal? Features, models "
                                     "and explanations for the GTZAN report.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    extract = commands.add_parser(
        "extract", help="compute the 57 features of audio files into a CSV table",
        description="Compute the table's 57 features for every 3-second segment of each audio "
                    "file (folders are walked). Bad files are reported and skipped; the good rows "
                    "are written atomically.", epilog=EXAMPLES["extract"],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    extract.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    extract.add_argument("-o", "--output", required=True, help="CSV file to write")
    extract.add_argument("--jobs", type=int, default=1, help="parallel workers (-1: all cores)")
    extract.add_argument("--label-from-folder", action="store_true",
                         help="name rows <folder>.<stem>.<segment>.wav (GTZAN's genres/<genre>/ layout)")
    extract.add_argument("--no-cache", action="store_true", help="do not reuse cached features")
    extract.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    extract.set_defaults(run=_extract)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``gtzan`` console script."""
    from .audio import AudioError
    from .data import TableError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (AudioError, TableError, OSError) as exc:
        print(f"gtzan {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
