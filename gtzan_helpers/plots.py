"""Figures with labelled axes, saved under ``figures/`` with stable names.

Every ``plot_*`` function takes ``ax=None`` (or draws its own figure) and returns the
figure, which :func:`save_figure` writes and :func:`show_figure` writes and shows.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import pandas as pd

from . import GENRES, PROTOCOL_NAMES
from . import paths


def save_figure(fig, name: str, *, folder: str | Path | None = None, dpi: int = 110) -> Path:
    """Write ``fig`` as ``<folder>/<name>.png`` (folder defaults to ``figures/``).

    The PNG carries no creation date, so re-running the report rewrites the same bytes.
    """
    folder = Path(folder) if folder is not None else paths.FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path


def show_figure(fig, name: str, *, folder: str | Path | None = None, dpi: int = 110) -> None:
    """Write ``fig`` as :func:`save_figure` does, close it, and show the written PNG.

    The notebook then shows the very file the report and ``figures/`` hold, and the figure
    is drawn once: ``plt.show()`` would draw it again for the notebook (seconds for a
    spectrogram of a whole clip). Returns nothing, so that a notebook cell ending with it
    shows the figure and no more.
    """
    from IPython.display import Image, display  # IPython comes with a notebook kernel, not with the package

    path = save_figure(fig, name, folder=folder, dpi=dpi)
    plt.close(fig)
    display(Image(data=path.read_bytes(), format="png"))


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def plot_training_curves(history: pd.DataFrame, *, best_epoch: int | None = None, title: str = "",
                         val_label: str = "validation", axes=None):
    """Loss and accuracy per epoch for training and validation (used by 02 and 03).

    Parameters
    ----------
    history : pandas.DataFrame
        ``epoch``, ``train_loss``, ``val_loss``, ``train_accuracy``, ``val_accuracy``.
    best_epoch : int, optional
        Marked with a dotted line (the epoch whose weights were kept).
    val_label : str
        Name of the held-out side in the legend (``"test"`` where, as in the study, the
        test side is what early stopping watches).
    axes : pair of matplotlib Axes, optional
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    fig = axes[0].figure
    for ax, metric, unit in ((axes[0], "loss", "loss (cross-entropy)"), (axes[1], "accuracy", "accuracy (%)")):
        scale = 100 if metric == "accuracy" else 1
        ax.plot(history["epoch"], history[f"train_{metric}"] * scale, marker=".", label="train")
        ax.plot(history["epoch"], history[f"val_{metric}"] * scale, marker=".", label=val_label)
        if best_epoch:
            ax.axvline(best_epoch, ls=":", color="grey", label=f"best epoch ({best_epoch})")
        ax.set(xlabel="epoch", ylabel=unit, title=f"{title} {metric}".strip())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    return fig


def plot_confusion(y_true, y_pred, *, labels=None, title: str = "", ax=None, vmax=None):
    """Confusion matrix with counts (rows: true genre, columns: predicted genre).

    ``labels`` names the genres in label order; by default the study's two, or ``0 … k-1``
    when the labels go beyond them. ``vmax`` fixes the top of the colour scale, so that
    matrices drawn side by side share one."""
    import seaborn as sns  # a second to import: only the confusion matrices need it

    if labels is None:
        k = int(max(np.max(y_true), np.max(y_pred))) + 1
        labels = GENRES if k <= len(GENRES) else [str(i) for i in range(k)]
    fig, ax = _axes(ax, figsize=(3.6 if len(labels) <= 3 else 0.6 * len(labels) + 1.5,
                                 3.2 if len(labels) <= 3 else 0.6 * len(labels) + 1.0))
    from sklearn.metrics import confusion_matrix  # scikit-learn loads in seconds: only where a matrix is drawn

    cm = confusion_matrix(y_true, y_pred, labels=range(len(labels)))
    sns.heatmap(cm, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax, vmin=0, vmax=vmax,
                xticklabels=labels, yticklabels=labels)
    ax.set(xlabel="predicted genre", ylabel="true genre", title=title)
    return fig


PROTOCOL_LABELS = {**{protocol: f"{name} folds" for protocol, name in PROTOCOL_NAMES.items()},
                   "segment": f"{PROTOCOL_NAMES['segment']} folds (study)", "heldout": "fault-filtered test"}
"""How figures name the protocols (:data:`gtzan_helpers.PROTOCOLS`) and the held-out test."""


def plot_sweep(summary: pd.DataFrame, *, parameter: str, xlabel: str, ax=None):
    """Mean cross-validated accuracy per setting with ±1 standard deviation bars, per protocol.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``protocol``, ``parameter``, ``accuracy`` and ``accuracy_std`` (fractions).
    parameter : str
        Column holding the swept setting.
    """
    fig, ax = _axes(ax, figsize=(6.5, 3.8))
    settings = sorted(summary[parameter].unique())
    positions = {s: i for i, s in enumerate(settings)}
    parts = list(summary.groupby("protocol", sort=False))
    for offset, (protocol, part) in zip(np.linspace(-0.1, 0.1, len(parts)), parts):
        x = np.array([positions[s] for s in part[parameter]]) + offset
        ax.errorbar(x, part["accuracy"] * 100, yerr=part["accuracy_std"] * 100, marker="o",
                    capsize=4, linestyle="-", label=PROTOCOL_LABELS[protocol])
    ax.set_xticks(range(len(settings)), [str(s) for s in settings])
    ax.set(xlabel=xlabel, ylabel="5-fold CV accuracy (%)", title="Mean ± 1 s.d. over folds")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=len(parts), frameon=False)
    return fig


def plot_ladder(ladder: pd.DataFrame, ax=None, *, ylabel: str = "accuracy over tracks (%)", chance: float = 50.0,
                title: str = "Each step removes a leak: segments, then tracks, then artists",
                step_labels: dict | None = None):
    """Accuracy of each model at each step of the leakage ladder.

    Parameters
    ----------
    ladder : pandas.DataFrame
        Index: model names; columns ``(step, "accuracy")``, ``(step, "low")`` and
        ``(step, "high")`` in %, steps in ladder order (keys of :data:`PROTOCOL_LABELS`).
        Bars show the accuracy, whiskers the interval from low to high; a missing value
        (a model the step cannot score) leaves its bar out.
    chance : float
        Accuracy of guessing, in % (50 for two balanced genres, 10 for ten), drawn dotted.
    step_labels : dict, optional
        Legend names of the steps, where they differ from :data:`PROTOCOL_LABELS`.
    """
    step_labels = {**PROTOCOL_LABELS, **(step_labels or {})}
    steps = list(dict.fromkeys(step for step, _ in ladder.columns))
    fig, ax = _axes(ax, figsize=(10, 4.2))
    x = np.arange(len(ladder))
    width = 0.8 / len(steps)
    for k, step in enumerate(steps):
        mean = ladder[(step, "accuracy")]
        whiskers = np.vstack([mean - ladder[(step, "low")], ladder[(step, "high")] - mean])
        ax.bar(x + (k - (len(steps) - 1) / 2) * width, mean, width=width, yerr=whiskers, capsize=2,
               label=step_labels[step])
    ax.axhline(chance, color="grey", lw=0.8, ls=":")
    ax.set_xticks(x, ladder.index, rotation=20, ha="right")
    ax.set_ylim(0, 100)
    ax.set(ylabel=ylabel, title=title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.38), ncol=len(steps), frameon=False)
    return fig


def plot_feature_by_artist(values: pd.Series, artists: pd.Series, genres: pd.Series, *, threshold: float,
                           xlabel: str, ax=None):
    """One feature's track values per artist, with a one-threshold rule's line (used by 07).

    Parameters
    ----------
    values, artists, genres : pandas.Series
        Indexed by track: the feature's value, the artist and the genre of each track.
        Artists named ``unknown …`` (one track each) are pooled into one row per genre.
    threshold : float
        Drawn as a vertical line: the rule's decision boundary.
    """
    frame = pd.DataFrame({"value": values, "artist": artists, "genre": genres})
    unknown = frame["artist"].str.startswith("unknown")
    frame.loc[unknown, "artist"] = "unknown artists"
    order = frame.groupby(["genre", "artist"])["value"].mean().sort_values().reset_index()
    fig, ax = _axes(ax, figsize=(7, 0.22 * len(order) + 1.2))
    rows = {(g, a): k for k, (g, a) in enumerate(zip(order["genre"], order["artist"]))}
    for k, genre in enumerate(sorted(frame["genre"].unique())):
        part = frame[frame["genre"] == genre]
        ax.scatter(part["value"], [rows[(genre, a)] for a in part["artist"]], s=14, alpha=0.7, color=f"C{k}",
                   label=genre)
    ax.axvline(threshold, color="grey", ls="--", lw=1, label="the rule's threshold")
    ax.set_yticks(range(len(order)), [f"{a} ({g})" for a, g in zip(order["artist"], order["genre"])], fontsize=7)
    ax.set(xlabel=xlabel, ylabel="artist (genre)", ylim=(-1, len(order)))
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _short_number(value: float) -> str:
    """A feature value as a force plot shows it: whole numbers from 100 up, else 3 significant
    digits (so that 0.0006 does not print as 0.0)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def plot_force(explanation, row: int = 0, *, output_name: str = "P(metal)",
               towards: tuple[str, str] = ("metal", "blues")):
    """SHAP force plot of one explained row, on a probability axis that says what it shows.

    shap draws the features that push the output up (red) and those that push it down
    (blue) as two stacks that meet at the output ``f(x)``; when large pushes cancel, the
    stacks run past 0 or 1. This version marks the base value with a dark line and its
    value, labels the dotted lines at 0 and 1 (the ends of the probability scale), shades
    the axis beyond them, and says in words which way each colour pushes.

    Parameters
    ----------
    explanation : shap.Explanation
        From :func:`gtzan_helpers.explain.explain`; ``data`` holds the displayed values.
    row : int
        Which explained row to draw.
    output_name : str
        Name of the explained output, shown above ``f(x)``.
    towards : (str, str)
        What a higher and what a lower output mean, e.g. ``("metal", "blues")``: the legend
        reads "pushes towards metal ⇄ pushes towards blues".

    Examples
    --------
    >>> import numpy as np, shap
    >>> expl = shap.Explanation(values=np.array([[0.3, -0.5, 0.1]]), base_values=np.array([0.6]),
    ...                         data=np.array([[1.0, 2000.0, 6e-4]]), feature_names=["a", "b", "c"])
    >>> fig = plot_force(expl)
    >>> texts = {t.get_text() for t in fig.axes[0].texts if t.get_visible()}
    >>> {"pushes towards metal", "pushes towards blues", "base value $\\\\phi_0$ = 0.60"} <= texts
    True
    >>> plt.close(fig)
    """
    import shap  # seconds to import: only the force plot needs it

    up, down = towards
    base = float(explanation.base_values[row])
    out = base + float(explanation.values[row].sum())
    shown = np.array([_short_number(v) for v in explanation.data[row]], dtype=object)
    shap.plots.force(base, explanation.values[row], shown,
                     feature_names=explanation.feature_names, out_names=f"{output_name} = $f(x)$",
                     matplotlib=True, show=False, text_rotation=20)
    fig = plt.gcf()
    ax = fig.axes[0]
    # shap draws the stacks between y = 0 and 0.1 and its header (f(x), its name, the legend) above
    # y = 0.2, outside the axes (top 0.15); raise the top so that the marks of 0, 1 and the base value
    # fit between the stacks and the axis, and move the header up with it
    lift = 0.14
    (lo, hi), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ax.set_ylim(y0, y1 + lift)
    for text in ax.texts:
        x_text, y_text = text.get_position()
        if y_text >= 0.2:
            text.set_position((x_text, y_text + lift))
        if text.get_text() == "higher":
            text.set_text(f"pushes towards {up}")
        elif text.get_text() == "lower":
            text.set_text(f"pushes towards {down}")
        elif text.get_text() == "base value":
            text.set_visible(False)   # drawn again below, beside its line
    for line in list(ax.lines):
        x_line, y_line = line.get_data()
        if np.isclose(x_line[0], out) and max(y_line) > 0.2:       # shap's faint line up to f(x)'s number
            line.set_data(x_line, [0, max(y_line) + lift])
        elif np.isclose(x_line[0], base) and min(y_line) > 0.1:    # shap's faint base-value line: replaced
            line.remove()
    band_bottom = (-0.05 - y0) / (y1 + lift - y0)
    for start, end in ((lo, 0.0), (1.0, hi)):
        if end > start:
            ax.axvspan(start, end, ymin=band_bottom, ymax=1, color="0.5", alpha=0.12, lw=0, zorder=0)
    ends = {0.0: ("right", f"{output_name} = 0: surely {down} "),
            1.0: ("left", f" {output_name} = 1: surely {up}")}
    for edge, (align, label) in ends.items():
        ax.axvline(edge, ymin=band_bottom, ymax=1, color="0.3", ls=":", lw=1.2)
        if lo < edge < hi:
            ax.text(edge, 0.255, label, ha=align, va="center", fontsize=11, color="0.3")
    ax.plot([base, base], [-0.03, 0.15], color="0.1", lw=3, solid_capstyle="butt", zorder=5)
    ax.plot([base], [0.15], marker="v", markersize=9, color="0.1", zorder=5)
    ax.text(base, 0.17, f"base value $\\phi_0$ = {base:.2f}", ha="center", va="bottom", fontsize=12,
            color="0.1", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    fig.text(0.5, -0.1, f"Red blocks push {output_name} up, towards {up}; blue blocks push it down, towards "
             f"{down}; the wider the block, the larger the push. The base value plus the red blocks minus the "
             f"blue blocks is $f(x)$.\nGrey, beyond the dotted lines at 0 and 1: not a probability, only where "
             "the stacks of pushes run before they cancel. Numbers beside the names are the feature values.",
             ha="center", va="top", fontsize=11, color="0.3")
    return fig
