"""Cross-validation drawn (notebook 04): the folds of a toy data set, shuffled or grouped by song."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def fold_blocks(n_splits: int = 5, *, tracks: int = 10, segments_per_track: int = 3,
                grouped: bool = True, seed: int = 0) -> list[np.ndarray]:
    """The track of every segment in each fold of a toy data set, as :func:`plot_folds` draws it.

    Parameters
    ----------
    n_splits : int
        Number of folds, at least 2.
    tracks : int
        Number of tracks (songs) in the toy data, at least ``n_splits``.
    segments_per_track : int
        Segments cut from each track.
    grouped : bool
        True: whole tracks are dealt to the folds, so every segment of a track sits in one
        fold (the track-grouped protocol). False: the segments are shuffled and cut into
        folds, so a track's segments may sit in several (the segment-random protocol).
    seed : int
        Seed of the shuffle when ``grouped`` is False (a local generator).

    Returns
    -------
    list of numpy.ndarray of int
        One array per fold: the track number (0, 1, …) of each of its segments, sorted.

    Examples
    --------
    >>> [block.tolist() for block in fold_blocks(2, tracks=4, segments_per_track=2)]
    [[0, 0, 1, 1], [2, 2, 3, 3]]
    >>> blocks = fold_blocks(5, tracks=10, segments_per_track=3, grouped=False)
    >>> sorted(len(block) for block in blocks), sum(len(block) for block in blocks)
    ([6, 6, 6, 6, 6], 30)
    """
    if n_splits < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got n_splits={n_splits}")
    if tracks < n_splits or segments_per_track < 1:
        raise ValueError(f"need at least one track per fold and one segment per track, got "
                         f"tracks={tracks}, segments_per_track={segments_per_track}")
    if grouped:
        return [np.repeat(part, segments_per_track) for part in np.array_split(np.arange(tracks), n_splits)]
    segments = np.random.default_rng(seed).permutation(np.repeat(np.arange(tracks), segments_per_track))
    return [np.sort(part) for part in np.array_split(segments, n_splits)]


def plot_folds(n_splits: int = 5, *, tracks: int | None = None, segments_per_track: int = 3,
               grouped: bool = True, seed: int = 0, ax=None, title: str | None = None):
    """k-fold cross-validation as a grid: one row per round, the data in ``n_splits`` blocks.

    In round *i* block *i* is held out and scored (orange), the network trains on the
    others (blue); every block is held out exactly once, so every row of the data is scored
    once, and the ``n_splits`` scores give a mean and a spread. With ``tracks`` the blocks
    are drawn segment by segment, each labelled with its track's letter (A, B, …, from
    :func:`fold_blocks`); a training segment whose track also has segments in the scored
    block (the same song on both sides) is hatched red.

    Parameters
    ----------
    n_splits : int
        Number of folds (and rounds).
    tracks : int, optional
        Draw a toy data set of this many tracks (at most 26); None draws plain blocks.
    segments_per_track : int
        Segments per track, with ``tracks``.
    grouped : bool
        Whole tracks per fold (True) or shuffled segments (False); see :func:`fold_blocks`.
    seed : int
        Seed of the shuffle when ``grouped`` is False.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_folds(5)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['round 1', 'round 2', 'round 3', 'round 4', 'round 5']
    >>> plt.close(fig)
    """
    from matplotlib.patches import Patch, Rectangle

    if tracks is not None and tracks > 26:
        raise ValueError(f"tracks are labelled A–Z: at most 26, got {tracks}")
    train, test, leak = "#cfe2f3", "#f6b26b", "#c0392b"
    if tracks is None:
        if n_splits < 2:
            raise ValueError(f"cross-validation needs at least 2 folds, got n_splits={n_splits}")
        blocks = [np.zeros(1, int)] * n_splits  # one cell per block
    else:
        blocks = fold_blocks(n_splits, tracks=tracks, segments_per_track=segments_per_track,
                             grouped=grouped, seed=seed)
    gap = 0.6 if tracks is not None else 0.15
    width = 1.0 if tracks is not None else 4.0  # a plain block is drawn as wide as four segments
    starts = np.concatenate([[0.0], np.cumsum([len(b) * width + gap for b in blocks])])[:-1]
    end = starts[-1] + len(blocks[-1]) * width
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(5.5, 0.23 * end + 2.2), 0.48 * n_splits + 1.4))
    else:
        fig = ax.figure
    leaked = False
    for row in range(n_splits):
        tested = set(blocks[row].tolist())
        for fold, (start, block) in enumerate(zip(starts, blocks)):
            for i, track in enumerate(block):
                held_out = fold == row
                shared = tracks is not None and not held_out and track in tested
                leaked |= shared
                ax.add_patch(Rectangle((start + (i + 0.04) * width, row - 0.4), 0.92 * width, 0.8,
                                       facecolor=test if held_out else train,
                                       edgecolor=leak if shared else "none",
                                       hatch="//" if shared else None, linewidth=1.0))
                label = chr(ord("A") + int(track)) if tracks is not None else ("test" if held_out else "train")
                ax.text(start + (i + 0.5) * width, row, label, ha="center", va="center",
                        fontsize=7 if tracks is not None else 9)
        ax.text(end + gap, row, f"→ score {row + 1}", va="center", fontsize=9)
    ax.text(end + gap, n_splits - 0.35, "→ mean ± s.d.", va="center", fontsize=9, fontweight="bold")
    ax.set_xlim(-gap, end + 5.5 * (width if tracks is not None else 1.5))
    ax.set_ylim(n_splits - 0.1, -0.6)
    ax.set_yticks(range(n_splits), [f"round {r + 1}" for r in range(n_splits)])
    ax.set_xticks(starts + np.array([len(b) for b in blocks]) * width / 2,
                  [f"fold {f + 1}" for f in range(n_splits)])
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    if tracks is None:
        ax.set_xlabel(f"the data (rows), cut into {n_splits} blocks: the folds")
        default = f"{n_splits}-fold cross-validation: each fold is held out once"
    else:
        n_rows = sum(len(b) for b in blocks)
        ax.set_xlabel(f"the data: {n_rows} segments of {tracks} songs (A, B, …), in {n_splits} folds")
        default = ("Track-grouped folds: a song's segments stay in one fold" if grouped
                   else "Segment-random folds: a song's segments land in several folds")
    ax.set_ylabel("round (one network each)")
    ax.set_title(title if title is not None else default)
    handles = [Patch(facecolor=train, label="trains the network"),
               Patch(facecolor=test, label="held out and scored")]
    if leaked:
        handles.append(Patch(facecolor=train, edgecolor=leak, hatch="//",
                             label="trains, but its song is also scored"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16 if tracks is None else -0.2),
              ncol=len(handles), frameon=False, fontsize=8.5)
    return fig
