"""The ``gtzan`` command line (also ``python -m gtzan_helpers``).

Errors a user can cause (a bad file, a bad table) print one line on stderr naming
the file and the reason, and exit with status 1; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from .. import PROTOCOL_NAMES, PROTOCOLS, GtzanError
from ..paths import feature_cache
from ..recipe import RECIPE

# Each command imports the parts of the package it runs inside its function: they pull
# in PyTorch, librosa or SHAP (seconds each), and ``gtzan --help`` or ``gtzan predict``
# should not wait for the libraries of another command.

EXAMPLES = {
    "extract": "examples:\n  gtzan extract data/gtzan/genres -o features.csv --jobs 2 --label-from-folder\n"
               "  gtzan extract data/gtzan/genres -o clips.csv --label-from-folder --whole-clip",
    "evaluate": "examples:\n  gtzan evaluate data/audio_gtzan.csv --protocol track --repeats 5 "
                "--batch-size 64,128\n  gtzan evaluate features_3_sec.csv --genres all --protocol artist",
    "info": "examples:\n  gtzan info\n  gtzan info --model my_model.npz",
    "cache": "examples:\n  gtzan cache\n  gtzan cache --clear\n"
             "  GTZAN_CACHE=/tmp/features gtzan extract song.wav -o song.csv",
    "train": "examples:\n  gtzan train data/audio_gtzan.csv -o my_model.npz --hidden 256,128,128\n"
             "  gtzan train features_3_sec.csv --genres all -o ten_genres.npz",
    "predict": "examples:\n  gtzan predict song.wav\n  gtzan predict ~/Music/albums --json\n"
               "  gtzan predict song.wav --model ten-genres",
    "explain": "examples:\n  gtzan explain data/audio_test.wav --top 8 --plot why.png\n"
               "  gtzan explain song.wav --model ten-genres --genre jazz",
}


def _at_least(low: int):
    """An argparse type: an integer of at least ``low``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer of at least {low}, got {value}")
        return value
    return parse


def _int_list(text: str) -> list[int]:
    """An argparse type: comma-separated positive integers (at least one; a list of none is
    parsed as the whole text, which then fails as an integer)."""
    try:
        return [_at_least(1)(v) for v in text.split(",") if v.strip()] or [_at_least(1)(text)]
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r} ({exc})") from None


def _evaluate(args) -> int:
    from ..data import load_feature_table, load_heldout_split, parse_genres
    from ..honest.candidates import improved_mlp, study_mlp
    from ..honest.inputs import has_spreads
    from ..honest.resampling import repeated_cv
    from ..stats import summarize_cv

    table = load_feature_table(args.table, genres=parse_genres(args.genres))
    if args.development:  # the notebooks' folds: the fault-filtered split's test tracks stay unseen
        dev_rows, _ = load_heldout_split(table)
        if not len(dev_rows):
            raise GtzanError(f"{args.table}: no development tracks of the fault-filtered split "
                             "(--development needs GTZAN's file names, e.g. blues.00000.wav)")
        table = table.subset(dev_rows)
    if args.model == "improved":
        settings = {"improved MLP": ("-", "-")}
        candidates = {"improved MLP": improved_mlp(seed=args.seed)}
    else:
        settings = {f"batch_size={b} first_layer={w}": (b, w)
                    for b in args.batch_size for w in args.hidden}
        candidates = {name: study_mlp(batch_size=b, first_layer=w, seed=args.seed)
                      for name, (b, w) in settings.items()}
    results = repeated_cv(table, candidates, protocol=args.protocol, n_splits=args.folds,
                          n_repeats=args.repeats, seed=args.seed, n_jobs=args.jobs, progress=True)
    summary = summarize_cv(results)
    rows = [{"model": args.model, "batch_size": settings[name][0], "first_layer": settings[name][1],
             "protocol": args.protocol,
             "folds": args.folds, "repeats": args.repeats, "seed": args.seed,
             **{k: round(float(v), 6) for k, v in row.items()}}
            for name, row in summary.iterrows()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{args.model} MLP, {', '.join(table.genres)};",
          PROTOCOL_NAMES[args.protocol], end=" ")
    print(f"{args.folds}-fold CV x {args.repeats} repeats, seed {args.seed}; mean ± 95% CI")
    rows_are = "segment" if has_spreads(table.tracks) else "clip"  # a 30-second table: whole clips
    print(f"{'batch':>5} {'width':>5}  {rows_are + ' acc (%)':>16}  {'track acc (%)':>16}  {'loss':>15}")
    for r in rows:
        print(f"{r['batch_size']:>5} {r['first_layer']:>5}  "
              f"{100 * r['accuracy']:>8.2f} ± {100 * r['accuracy_ci']:<5.2f}  "
              f"{100 * r['track_accuracy']:>8.2f} ± {100 * r['track_accuracy_ci']:<5.2f}  "
              f"{r['loss']:>7.4f} ± {r['loss_ci']:<6.4f}")
    return 0


def _train(args) -> int:
    from ..data import load_feature_table, parse_genres
    from .bundle import train_bundle

    table = load_feature_table(args.table, genres=parse_genres(args.genres))
    recipe = RECIPE.replace(hidden=tuple(args.hidden), batch_size=args.batch_size,
                            max_epochs=args.epochs)
    bundle = train_bundle(table, args.output, protocol=args.protocol, recipe=recipe, seed=args.seed)
    h = bundle.metadata["hyperparameters"]
    print(f"wrote {args.output} ({', '.join(bundle.labels)}): best epoch {h['best_epoch']}, "
          "validation accuracy "
          f"{100 * h['validation_accuracy']:.2f} % ({args.protocol}-held-out "
          f"{RECIPE.validation_fraction:.0%})", file=sys.stderr)
    return 0


def _named(p, labels) -> dict:
    return {label: round(float(q), 6) for label, q in zip(labels, p)}


def _predict(args) -> int:
    from .bundle import load_bundle
    from .songs import iter_predictions, rows_in_words

    bundle = load_bundle(args.model)
    labels = bundle.labels
    results, errors = [], []
    try:
        for song, error in iter_predictions(bundle, args.files):  # each result shown as soon as it is ready
            if error is not None:
                errors.append(error)
                if not args.json:
                    print(f"gtzan predict: {error}", file=sys.stderr, flush=True)
                continue
            result = {"file": str(song.file), "label": labels[song.label],
                      "probabilities": _named(song.probabilities, labels)}
            if not bundle.whole_clip:  # a model of whole clips sees one row per song
                result["segments"] = [_named(segment, labels) for segment in song.row_probabilities]
            results.append(result)
            if not args.json:
                ranked = sorted(result["probabilities"].items(), key=lambda kv: -kv[1])
                shown = ranked if args.all else ranked[:3]  # the three most likely, of ten genres
                probs = ", ".join(f"P({k}) = {v:.3f}" for k, v in shown)
                more = "" if len(shown) == len(ranked) else f", {len(ranked) - len(shown)} more with --all"
                print(f"{result['file']}: {result['label']} ({probs}{more}; {rows_in_words(song, bundle)})",
                      flush=True)
    except KeyboardInterrupt:
        if args.json:  # what is done is still printed, marked as cut short
            print(json.dumps({"results": results, "errors": errors, "interrupted": True}, indent=2))
        raise
    if args.json:
        print(json.dumps({"results": results, "errors": errors}, indent=2))
        for error in errors:
            print(f"gtzan predict: {error}", file=sys.stderr)
    return 1 if errors else 0


def _explain(args) -> int:
    from ..explain import top_contributions
    from .bundle import load_bundle
    from .songs import explain_song, predict_files, rows_in_words

    bundle = load_bundle(args.model)
    songs, errors = predict_files(bundle, [args.file])
    if errors:
        print(f"gtzan explain: {errors[0]}", file=sys.stderr)
        return 1
    if len(songs) != 1:
        print(f"gtzan explain: {args.file}: give one audio file, not a folder", file=sys.stderr)
        return 1
    (song,), labels = songs, bundle.labels
    genre = args.genre or labels[song.label]
    if genre not in labels:
        print(f"gtzan explain: --genre {genre!r}: the model knows {', '.join(labels)}", file=sys.stderr)
        return 1
    clip = explain_song(bundle, song, genre)
    p, base = float(song.probabilities[labels.index(genre)]), float(clip.base_values[0])
    print(f"{song.file}: {labels[song.label]} (P({genre}) = {p:.3f}, {rows_in_words(song, bundle)})")
    print(f"base value {base:.3f} = the model's mean P({genre}) over {len(bundle.background)} "
          f"training {'clips' if bundle.whole_clip else 'segments'} (the expected output, not a threshold)")
    top = top_contributions(clip, k=args.top)
    width = max(len(f) for f in top["feature"])
    shown = "the whole clip's" if bundle.whole_clip else "the mean over the clip's segments"
    print(f"top {len(top)} contributions to P({genre}) (feature value shown: {shown}):")
    for r in top.itertuples():
        print(f"  {r.feature:<{width}}  value {r.value:>12.5g}  contribution {r.contribution:+.4f}")
    rest = float(clip.values.sum() - top["contribution"].sum())
    print(f"  {'other features':<{width}}  {'':18}  contribution {rest:+.4f}")
    print(f"base value + all contributions = {base + float(clip.values.sum()):.3f}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import shap

        shap.plots.waterfall(clip[0], max_display=args.top + 1, show=False)
        plt.gcf().axes[0].set_xlabel(f"P({genre}): base value + contributions", labelpad=22)
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plt.savefig(args.plot, dpi=110, bbox_inches="tight")
        print(f"waterfall written to {args.plot}", file=sys.stderr)
    return 0


def _extract(args) -> int:
    from filelock import FileLock, Timeout

    from ..features import extract_files, write_table

    lock = FileLock(f"{args.output}.lock", timeout=0)  # two runs into one output: the second is refused
    try:
        lock.acquire()
    except Timeout:
        raise GtzanError(f"{args.output}: another gtzan extract is writing it (its lock: {lock.lock_file})") from None
    try:
        frame, errors = extract_files(args.paths, n_jobs=args.jobs, progress=not args.quiet,
                                      label_from_folder=args.label_from_folder,
                                      cache_dir=None if args.no_cache else feature_cache(),
                                      whole_clip=args.whole_clip)
        for error in errors:
            print(f"gtzan extract: {error}", file=sys.stderr)
        if len(frame):
            write_table(frame, args.output)
            files = len(frame) if args.whole_clip else frame["filename"].str.rsplit(".", n=2).str[0].nunique()
            print(f"wrote {len(frame)} rows of {files} files to {args.output}", file=sys.stderr)
    finally:
        lock.release()
        Path(lock.lock_file).unlink(missing_ok=True)
    return 1 if errors or not len(frame) else 0


def _info(args) -> int:
    from .bundle import SHIPPED_MODELS, load_bundle

    for name in [args.model] if args.model else list(SHIPPED_MODELS):
        bundle = load_bundle(name)
        trained = bundle.metadata["hyperparameters"]
        held_out = {"artist": "artists", "track": "tracks", "segment": "tracks"}.get(trained.get("protocol"), "rows")
        print(f"{name}: {len(bundle.labels)} genres ({', '.join(bundle.labels)}); rows: {bundle.metadata['rows']}; "
              f"validation accuracy {100 * trained.get('validation_accuracy', float('nan')):.2f} % on "
              f"{RECIPE.validation_fraction:.0%} of the {held_out} held out of training (one split, "
              "not cross-validation: notebooks 07 and 10 give the honest estimates)")
    return 0


def _cache(args) -> int:
    folder = feature_cache()
    entries = sorted(folder.glob("*.np[yz]")) if folder.is_dir() else []
    size = sum(entry.stat().st_size for entry in entries)
    if args.clear:
        for entry in entries:
            entry.unlink(missing_ok=True)
        print(f"removed {len(entries)} cached feature files ({size / 1e6:.1f} MB) from {folder}")
    else:
        print(f"{folder}: {len(entries)} cached feature files, {size / 1e6:.1f} MB "
              f"(set GTZAN_CACHE to move it; gtzan cache --clear empties it)")
    return 0


def _command(commands, name: str, run, *, help: str, description: str):
    """Add subcommand ``name``: its example (from :data:`EXAMPLES`) closes its ``--help``."""
    command = commands.add_parser(name, help=help, description=description, epilog=EXAMPLES[name],
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    command.set_defaults(run=run)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gtzan", description="Blues or metal? Features, models "
                                     "and explanations for the GTZAN report.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    extract = _command(
        commands, "extract", _extract,
        help="compute the 57 features of audio files into a CSV table",
        description="Compute the table's 57 features for every 3-second segment of each audio "
                    "file, or with --whole-clip one row per file over the whole clip (folders are walked). Bad files are reported and skipped; the good rows "
                    "are written atomically.")
    extract.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    extract.add_argument("-o", "--output", required=True, help="CSV file to write")
    extract.add_argument("--jobs", type=int, default=1, help="parallel workers (-1: all cores)")
    extract.add_argument("--label-from-folder", action="store_true",
                         help="name rows <folder>.<stem>.<segment>.wav (GTZAN's genres/<genre>/ layout)")
    extract.add_argument("--whole-clip", action="store_true",
                         help="one row per file over the whole clip (a longer recording's central 30 s), "
                              "as Kaggle's features_30_sec.csv (default: one row per 3-second segment, "
                              "as features_3_sec.csv)")
    extract.add_argument("--no-cache", action="store_true",
                         help="do not reuse or keep cached features (see gtzan cache)")
    extract.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    info = _command(
        commands, "info", _info, help="describe the shipped models (or one model file)",
        description="Each model's genres, the rows it learned from (3-second segments or whole clips) "
                    "and the accuracy it reached on the share of the training data it held out.")
    info.add_argument("--model", help="a model file or a shipped model's name (default: every shipped model)")

    cache = _command(
        commands, "cache", _cache, help="show or clear the cache of extracted features",
        description="gtzan extract keeps each file's features, keyed by the file's content, in the "
                    "platform's user cache folder (or $GTZAN_CACHE). Each entry is checked before it is "
                    "used; a damaged one is recomputed and replaced with a warning.")
    cache.add_argument("--clear", action="store_true", help="remove every cached entry")

    evaluate = _command(
        commands, "evaluate", _evaluate,
        help="cross-validate an MLP and print accuracy with 95%% CIs",
        description="Repeated k-fold cross-validation of the study's MLP (or the improved one) on a "
                    "feature table. A comma list sweeps a setting of the study's MLP in one run; "
                    "every setting sees the same folds. Early stopping watches "
                    f"{RECIPE.validation_fraction:.0%} of the training tracks (artists under "
                    "--protocol artist).")
    evaluate.add_argument("table", metavar="TABLE", help="feature table CSV (e.g. data/audio_gtzan.csv)")
    evaluate.add_argument("--protocol", choices=PROTOCOLS, default="track",
                          help="track-grouped folds (default), artist-grouped folds, or the study's "
                               "segment-random folds; duplicate tracks always stay together")
    evaluate.add_argument("--model", choices=("study", "improved"), default="study",
                          help="the study's MLP (default) or the improved MLP of notebook 07")
    evaluate.add_argument("--genres", metavar="G[,G...]|all", default=None,
                          help="genres to keep (default: every genre in the table)")
    evaluate.add_argument("--folds", type=_at_least(2), default=RECIPE.n_splits,
                          help=f"folds per repeat (default {RECIPE.n_splits})")
    evaluate.add_argument("--repeats", type=_at_least(1), default=1, help="repeats with reshuffled folds")
    evaluate.add_argument("--development", action="store_true",
                          help="only the development tracks of the fault-filtered split (as notebooks 07 and 10)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of folds and networks")
    evaluate.add_argument("--batch-size", type=_int_list, default=[RECIPE.batch_size],
                          metavar="B[,B...]", help=f"batch size(s) (default {RECIPE.batch_size})")
    evaluate.add_argument("--hidden", type=_int_list, default=[RECIPE.hidden[0]], metavar="W[,W...]",
                          help=f"width(s) of the first hidden layer (default {RECIPE.hidden[0]}; "
                               "the others stay the recipe's)")
    evaluate.add_argument("--jobs", type=int, default=None,
                          help="processes joblib runs the folds in, one thread each (default: "
                               "workers only when they save time; -1: one per core; 1: this "
                               "process); the numbers do not depend on it")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")

    train = _command(
        commands, "train", _train, help="train the MLP on a feature table and save a model bundle",
        description="Train the study's MLP on a whole feature table (early stopping on "
                    f"{RECIPE.validation_fraction:.0%} held out) "
                    "and save a safe model bundle (.npz, never unpickled). The same seed gives "
                    "the same file on the same machine.")
    train.add_argument("table", metavar="TABLE", help="feature table CSV")
    train.add_argument("-o", "--output", required=True, help="bundle file to write (.npz)")
    train.add_argument("--protocol", choices=PROTOCOLS, default="track",
                       help="hold out tracks (default), artists or segments for early stopping")
    train.add_argument("--genres", metavar="G[,G...]|all", default=None,
                       help="genres to keep (default: every genre in the table)")
    train.add_argument("--hidden", type=_int_list, default=list(RECIPE.hidden), metavar="W,W,...",
                       help=f"hidden layer widths (default {','.join(map(str, RECIPE.hidden))})")
    train.add_argument("--batch-size", type=_at_least(1), default=RECIPE.batch_size,
                       help=f"batch size (default {RECIPE.batch_size})")
    train.add_argument("--epochs", type=_at_least(1), default=RECIPE.max_epochs,
                       help=f"most epochs (default {RECIPE.max_epochs})")
    train.add_argument("--seed", type=int, default=0, help="seed (default 0)")

    model_help = ("model bundle file, or a shipped model: blues-metal (the default: the study's network "
                  "on 3-second segments) or ten-genres (GTZAN's ten genres, on whole clips: a song's central "
                  "30 seconds; notebook 10 gives its accuracy, the study MLP row)")
    predict = _command(
        commands, "predict", _predict, help="say which genre songs are (blues or metal by default)",
        description="Classify audio files (folders are walked): every genre's probability per "
                    "3-second segment and per song; the song's genre is decided by the mean of its "
                    "segments' probabilities. Bad files are reported on stderr and the others still "
                    "predicted; the exit status is 1 if any failed.")
    predict.add_argument("files", nargs="+", metavar="FILE", help="audio files or folders")
    predict.add_argument("--model", help=model_help)
    predict.add_argument("--json", action="store_true", help="print JSON (results and errors, every genre)")
    predict.add_argument("--all", action="store_true",
                         help="print every genre's probability (default: the three most likely)")

    explain = _command(
        commands, "explain", _explain, help="explain one song's prediction with SHAP",
        description="SHAP contributions of the features to the song's probability of a genre "
                    "(the predicted one, or --genre): base value (the model's mean output over "
                    "training segments) + contributions = the song's probability.")
    explain.add_argument("file", metavar="FILE", help="one audio file")
    explain.add_argument("--model", help=model_help)
    explain.add_argument("--genre", help="explain this genre's probability (default: the predicted genre)")
    explain.add_argument("--top", type=_at_least(1), default=10, help="how many features to list (default 10)")
    explain.add_argument("--plot", metavar="PNG", help="also write the waterfall picture here")
    return parser


def main(argv=None) -> int:
    """Entry point of the ``gtzan`` console script."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            # a warning is one line on stderr, like an error, not Python's two with a source line
            warnings.showwarning = lambda message, *_: print(f"gtzan {args.command}: warning: {message}",
                                                             file=sys.stderr)
            return args.run(args)
    except (GtzanError, OSError) as exc:
        print(f"gtzan {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"gtzan {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
