"""The ``gtzan`` command line (also ``python -m gtzan_helpers``).

Errors a user can cause (a bad file, a bad table) print one line on stderr naming
the file and the reason, and exit with status 1; no traceback.
"""

from __future__ import annotations

import argparse
import sys

EXAMPLES = {
    "extract": "example: gtzan extract data/gtzan/genres -o features.csv --jobs 2 --label-from-folder",
    "evaluate": "example: gtzan evaluate data/audio_gtzan.csv --split track --repeats 5 "
                "--batch-size 64,128",
}


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _evaluate(args) -> int:
    import json

    from .candidates import study_mlp
    from .data import load_feature_table
    from .evaluation import repeated_cv, summarize_cv

    table = load_feature_table(args.table)
    settings = {f"batch_size={b} first_layer={w}": (b, w) for b in args.batch_size for w in args.hidden}
    candidates = {name: study_mlp(batch_size=b, first_layer=w, seed=args.seed)
                  for name, (b, w) in settings.items()}
    results = repeated_cv(table, candidates, split=args.split, n_splits=args.folds,
                          n_repeats=args.repeats, seed=args.seed)
    summary = summarize_cv(results)
    rows = [{"batch_size": settings[name][0], "first_layer": settings[name][1], "split": args.split,
             "folds": args.folds, "repeats": args.repeats, "seed": args.seed,
             **{k: round(float(v), 6) for k, v in row.items()}}
            for name, row in summary.iterrows()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{args.split}-grouped" if args.split == "track" else "segment-random", end=" ")
    print(f"{args.folds}-fold CV x {args.repeats} repeats, seed {args.seed}; mean ± 95% CI")
    print(f"{'batch':>5} {'width':>5}  {'segment acc (%)':>16}  {'track acc (%)':>16}  {'loss':>15}")
    for r in rows:
        print(f"{r['batch_size']:>5} {r['first_layer']:>5}  "
              f"{100 * r['accuracy']:>8.2f} ± {100 * r['accuracy_ci']:<5.2f}  "
              f"{100 * r['track_accuracy']:>8.2f} ± {100 * r['track_accuracy_ci']:<5.2f}  "
              f"{r['loss']:>7.4f} ± {r['loss_ci']:<6.4f}")
    return 0


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

    evaluate = commands.add_parser(
        "evaluate", help="cross-validate the study's MLP and print accuracy with 95%% CIs",
        description="Repeated k-fold cross-validation of the study's MLP on a feature table. A "
                    "comma list sweeps a setting in one run; every setting sees the same folds. "
                    "Early stopping watches 15%% of the training tracks.",
        epilog=EXAMPLES["evaluate"], formatter_class=argparse.RawDescriptionHelpFormatter)
    evaluate.add_argument("table", metavar="TABLE", help="feature table CSV (e.g. data/audio_gtzan.csv)")
    evaluate.add_argument("--split", choices=("track", "segment"), default="track",
                          help="track-grouped folds (default) or the study's segment-random folds")
    evaluate.add_argument("--folds", type=int, default=5, help="folds per repeat (default 5)")
    evaluate.add_argument("--repeats", type=int, default=1, help="repeats with reshuffled folds")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of folds and networks")
    evaluate.add_argument("--batch-size", type=_int_list, default=[128], metavar="B[,B...]",
                          help="batch size(s) (default 128)")
    evaluate.add_argument("--hidden", type=_int_list, default=[128], metavar="W[,W...]",
                          help="width(s) of the first hidden layer (default 128; the others stay 128)")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluate.set_defaults(run=_evaluate)
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
