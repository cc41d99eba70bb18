"""The ``gtzan`` command line (also ``python -m gtzan_helpers``).

Errors a user can cause (a bad file, a bad table) print one line on stderr naming
the file and the reason, and exit with status 1; no traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from .. import DEFAULT_PROTOCOL, PROTOCOLS, GtzanError, GtzanWarning
from ..recipe import RECIPE
from . import commands as run

EXAMPLES = {
    "extract": "examples:\n  gtzan extract data/gtzan/genres -o features.csv --jobs 2 --label-from-folder\n"
               "  gtzan extract data/gtzan/genres -o clips.csv --label-from-folder --whole-clip",
    "evaluate": "examples:\n  gtzan evaluate data/audio_gtzan.csv --protocol track --repeats 5 "
                "--batch-size 64,128\n  gtzan evaluate features_3_sec.csv --genres all --protocol artist",
    "info": "examples:\n  gtzan info\n  gtzan info --model my_model.npz",
    "cache": "examples:\n  gtzan cache\n  gtzan cache --clear\n"
             "  GTZAN_CACHE=/tmp/features gtzan extract song.wav -o song.csv",
    "train": "examples:\n  gtzan train data/audio_gtzan.csv -o my_model.npz --hidden 256,128,128\n"
             "  gtzan train features_3_sec.csv --genres all -o ten_genres.npz\n"
             "  gtzan train data/kaggle_features_30_sec.csv --genres all --model linear -o ten_genres.npz",
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
        commands, "extract", run.extract,
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
        commands, "info", run.info, help="describe the shipped models (or one model file)",
        description="Each model's genres, the rows it learned from (3-second segments or whole clips) "
                    "and the accuracy it reached on the share of the training data it held out.")
    info.add_argument("--model", help="a model file or a shipped model's name (default: every shipped model)")

    cache = _command(
        commands, "cache", run.cache, help="show or clear the cache of extracted features",
        description="gtzan extract keeps each file's features, keyed by the file's content, in the "
                    "platform's user cache folder (or $GTZAN_CACHE). Each entry is checked before it is "
                    "used; a damaged one is recomputed and replaced with a warning.")
    cache.add_argument("--clear", action="store_true", help="remove every cached entry")

    evaluate = _command(
        commands, "evaluate", run.evaluate,
        help="cross-validate an MLP and print accuracy with 95%% CIs",
        description="Repeated k-fold cross-validation of the study's MLP (or the improved one) on a "
                    "feature table. A comma list sweeps a setting of the study's MLP in one run; "
                    "every setting sees the same folds. Early stopping watches "
                    f"{RECIPE.validation_fraction:.0%} of the training artists (tracks under "
                    "--protocol track or segment).")
    evaluate.add_argument("table", metavar="TABLE", help="feature table CSV (e.g. data/audio_gtzan.csv)")
    evaluate.add_argument("--protocol", choices=PROTOCOLS, default=DEFAULT_PROTOCOL,
                          help="artist-grouped folds (default), track-grouped folds, or the study's "
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
        commands, "train", run.train, help="train a model on a feature table and save it as a bundle",
        description="Train the study's MLP on a whole feature table (early stopping on "
                    f"{RECIPE.validation_fraction:.0%} held out), or a logistic regression (--model linear, "
                    "its accuracy on unheard artists recorded), and save a safe model bundle (.npz, never "
                    "unpickled). The same seed gives the same file on the same machine.")
    train.add_argument("table", metavar="TABLE", help="feature table CSV")
    train.add_argument("-o", "--output", required=True, help="bundle file to write (.npz)")
    train.add_argument("--protocol", choices=PROTOCOLS, default=DEFAULT_PROTOCOL,
                       help="hold out artists (default), tracks or segments for early stopping")
    train.add_argument("--genres", metavar="G[,G...]|all", default=None,
                       help="genres to keep (default: every genre in the table)")
    train.add_argument("--hidden", type=_int_list, default=list(RECIPE.hidden), metavar="W,W,...",
                       help=f"hidden layer widths (default {','.join(map(str, RECIPE.hidden))})")
    train.add_argument("--batch-size", type=_at_least(1), default=RECIPE.batch_size,
                       help=f"batch size (default {RECIPE.batch_size})")
    train.add_argument("--epochs", type=_at_least(1), default=RECIPE.max_epochs,
                       help=f"most epochs (default {RECIPE.max_epochs})")
    train.add_argument("--model", choices=("mlp", "linear"), default="mlp",
                       help="the study's MLP (default), or a logistic regression (the best model on unheard "
                            "artists in notebook 10's ten-genre ladder)")
    train.add_argument("--seed", type=int, default=0, help="seed (default 0)")

    model_help = ("model bundle file, or a shipped model: blues-metal (the default: the study's network "
                  "on 3-second segments) or ten-genres (GTZAN's ten genres, on whole clips: a song's central "
                  "30 seconds; a logistic regression, notebook 10's best model on unheard artists; gtzan info "
                  "gives its accuracy)")
    predict = _command(
        commands, "predict", run.predict, help="say which genre songs are (blues or metal by default)",
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
        commands, "explain", run.explain, help="explain one song's prediction with SHAP",
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
            # the package's warnings about the user's input, each one line on stderr like an error
            # (not Python's two with a source line); the libraries' own are not the user's business
            warnings.simplefilter("ignore")
            warnings.simplefilter("default", GtzanWarning)
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
