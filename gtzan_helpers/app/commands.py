"""What each ``gtzan`` command does, one function per command, given its parsed arguments.

:mod:`.cli` parses the command line and calls these; each returns the exit status and prints
its results on stdout and its errors, one line each, on stderr. Each imports the parts of the
package it runs inside its function: they pull in PyTorch, librosa or SHAP, and a command
should not wait for the libraries of another command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import PROTOCOL_NAMES, GtzanError
from ..paths import feature_cache
from ..recipe import RECIPE


def evaluate(args) -> int:
    from ..data import load_feature_table, load_heldout_split, parse_genres
    from ..honest.candidates import improved_mlp, study_mlp
    from ..honest.inputs import has_spreads
    from ..evaluation import cross_validate, with_setting
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
        candidates = {name: study_mlp(with_setting(RECIPE.replace(batch_size=b), "first_layer", w), seed=args.seed)
                      for name, (b, w) in settings.items()}
    results = cross_validate(table, candidates, protocol=args.protocol, n_splits=args.folds,
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


def train(args) -> int:
    from ..data import load_feature_table, parse_genres
    from .bundle import train_bundle

    table = load_feature_table(args.table, genres=parse_genres(args.genres))
    if args.model == "linear":
        from .linear_bundle import train_linear_bundle

        bundle = train_linear_bundle(table, args.output, seed=args.seed)
        accuracy = bundle.metadata["hyperparameters"]["artist_grouped_cv_accuracy"]
        print(f"wrote {args.output} ({', '.join(bundle.labels)}): a logistic regression, "
              f"{100 * accuracy:.2f} % of tracks right on unheard artists ({RECIPE.n_splits}-fold artist-grouped CV)",
              file=sys.stderr)
        return 0
    recipe = RECIPE.replace(hidden=tuple(args.hidden), batch_size=args.batch_size,
                            max_epochs=args.epochs)
    bundle = train_bundle(table, args.output, protocol=args.protocol, recipe=recipe, seed=args.seed, progress=True)
    h = bundle.metadata["hyperparameters"]
    print(f"wrote {args.output} ({', '.join(bundle.labels)}): best epoch {h['best_epoch']}, "
          "validation accuracy "
          f"{100 * h['validation_accuracy']:.2f} % ({args.protocol}-held-out "
          f"{RECIPE.validation_fraction:.0%})", file=sys.stderr)
    return 0


def _named(p, labels) -> dict:
    return {label: round(float(q), 6) for label, q in zip(labels, p)}


def predict(args) -> int:
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


def explain(args) -> int:
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


def extract(args) -> int:
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


def info(args) -> int:
    from .bundle import SHIPPED_MODELS, load_bundle

    for name in [args.model] if args.model else list(SHIPPED_MODELS):
        bundle = load_bundle(name)
        trained = bundle.metadata["hyperparameters"]
        held_out = {"artist": "artists", "track": "tracks", "segment": "tracks"}.get(trained.get("protocol"), "rows")
        if "artist_grouped_cv_accuracy" in trained:
            scored = (f"{100 * trained['artist_grouped_cv_accuracy']:.2f} % of tracks right on unheard artists "
                      f"({trained['cv_folds']}-fold artist-grouped CV of its training table)")
        else:
            scored = (f"validation accuracy {100 * trained.get('validation_accuracy', float('nan')):.2f} % on "
                      f"{RECIPE.validation_fraction:.0%} of the {held_out} held out of training (one split, "
                      "not cross-validation: notebooks 07 and 10 give the honest estimates)")
        kind = trained.get("model", "the study's MLP")
        print(f"{name}: {kind}; {len(bundle.labels)} genres ({', '.join(bundle.labels)}); "
              f"rows: {bundle.metadata['rows']}; {scored}")
    return 0


def cache(args) -> int:
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
