"""The network and the split drawn (notebook 02): its activations, and where the segments of
songs and artists land under each protocol."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import PROTOCOL_NAMES


def plot_activations(*, z_max: float = 6.0):
    r"""ReLU and the sigmoid side by side, the two activations of the study's network (notebook 02).

    Parameters
    ----------
    z_max : float
        The input axis runs from ``-z_max`` to ``z_max``.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: ReLU, ``max(0, z)``, and the sigmoid, ``1 / (1 + exp(-z))``, with its
        0.5 line (the decision threshold of the output neuron). The titles write the
        formulas in matplotlib's TeX notation, as the notebooks write theirs.

    Examples
    --------
    >>> fig = plot_activations()
    >>> [ax.get_title() for ax in fig.axes]
    ['ReLU: $\\max(0,\\, z)$', 'sigmoid: $1\\,/\\,(1 + e^{-z})$']
    >>> plt.close(fig)
    """
    if z_max <= 0:
        raise ValueError(f"z_max must be positive, got {z_max}")
    z = np.linspace(-z_max, z_max, 241)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 2.8), constrained_layout=True)
    left.plot(z, np.maximum(z, 0.0), color="tab:blue")
    left.set(title=r"ReLU: $\max(0,\, z)$", xlabel="input $z$ (weighted sum + bias)", ylabel="output")
    right.plot(z, 1.0 / (1.0 + np.exp(-z)), color="tab:orange")
    right.axhline(0.5, ls=":", color="grey", label="0.5: the decision threshold")
    right.set(title=r"sigmoid: $1\,/\,(1 + e^{-z})$", xlabel="input $z$ (weighted sum + bias)",
              ylabel="output (a probability)", ylim=(-0.05, 1.05))
    right.legend(loc="upper left", fontsize=8)
    for ax in (left, right):
        ax.axvline(0.0, color="lightgrey", lw=0.8, zorder=0)
        ax.grid(alpha=0.3)
    return fig


def protocol_assignment(tracks_per_artist=(3, 2, 2, 1, 2), *, segments: int = 10,
                        test_share: float = 0.3, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Which segments of a toy collection each protocol puts on the test side.

    A schematic, not the data: artist ``k`` has ``tracks_per_artist[k]`` tracks of
    ``segments`` segments each. Each protocol's split is the report's own,
    :func:`gtzan_helpers.splits.split_groups`: ``test_share`` of the groups on the test
    side — of the segments (segment-random), of the tracks with all their segments
    (track-grouped), of the artists with all their tracks (artist-grouped).

    Parameters
    ----------
    tracks_per_artist : sequence of int
        Tracks of each artist; the tracks are numbered artist by artist.
    segments : int
        Segments per track (ten 3-second segments in a 30-second clip).
    test_share : float
        Share held out, strictly between 0 and 1.
    seed : int
        The split's seed: the same seed draws the same split, and no global random state
        is touched.

    Returns
    -------
    artist : numpy.ndarray of int, shape (n_tracks,)
        The artist of each track.
    test : dict
        ``"segment"``, ``"track"``, ``"artist"`` → boolean array of shape
        ``(n_tracks, segments)``, True where the segment is on the test side.

    Examples
    --------
    >>> artist, test = protocol_assignment(seed=0)
    >>> artist.tolist()
    [0, 0, 0, 1, 1, 2, 2, 3, 4, 4]
    >>> int(test["segment"].sum()), test["segment"].shape
    (30, (10, 10))
    >>> bool((test["track"].all(axis=1) | ~test["track"].any(axis=1)).all())  # whole tracks
    True
    >>> test["artist"][:, 0].astype(int).tolist()  # two of five artists held out, with all their tracks
    [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    """
    counts = np.asarray(tracks_per_artist, dtype=int)
    if counts.ndim != 1 or len(counts) < 2 or counts.min() < 1:
        raise ValueError(f"tracks_per_artist needs two artists or more, each with a track, got {tracks_per_artist}")
    if segments < 1:
        raise ValueError(f"segments must be positive, got {segments}")
    if not 0.0 < test_share < 1.0:
        raise ValueError(f"test_share must lie strictly between 0 and 1, got {test_share}")
    from ..splits import split_groups  # scikit-learn loads in seconds: only where a split is drawn

    artist = np.repeat(np.arange(len(counts)), counts)
    n_tracks, rows = len(artist), len(artist) * segments
    track = np.repeat(np.arange(n_tracks), segments)
    groups = {"segment": np.arange(rows), "track": track, "artist": artist[track]}
    test = {}
    for protocol, group in groups.items():
        _, held = split_groups(np.zeros(rows, dtype=int), group, test_size=test_share, seed=seed)
        side = np.zeros(rows, dtype=bool)
        side[held] = True
        test[protocol] = side.reshape(n_tracks, segments)
    return artist, test


def on_both_sides(artist: np.ndarray, test: np.ndarray) -> tuple[int, int]:
    """How many tracks and how many artists have segments on both sides of a split.

    Parameters
    ----------
    artist : numpy.ndarray of int, shape (n_tracks,)
        The artist of each track.
    test : numpy.ndarray of bool, shape (n_tracks, segments)
        True where a segment is on the test side (one of :func:`protocol_assignment`'s).

    Returns
    -------
    tracks, artists : int

    Examples
    --------
    >>> on_both_sides(np.array([0, 0, 1]), np.array([[True, False], [True, True], [False, False]]))
    (1, 1)
    """
    def mixed(rows):
        return bool(rows.any() and not rows.all())

    tracks = sum(mixed(row) for row in test)
    artists = sum(mixed(test[artist == a]) for a in np.unique(artist))
    return tracks, artists


def plot_protocols(tracks_per_artist=(3, 2, 2, 1, 2), *, segments: int = 10,
                   test_share: float = 0.3, seed: int = 0):
    """The three protocols drawn on a toy collection: where each segment lands (notebook 02).

    One panel per protocol. Each row is a track, each box one of its segments, coloured
    by the track's artist; a box sits left of the dashed line when the split puts it on
    the training side and right of it when on the test side. Each panel's title says what
    its protocol holds out (``test_share`` of its groups: segments, songs or artists) and
    counts the songs and artists that end up on both sides. The split is
    :func:`protocol_assignment`'s.

    Parameters
    ----------
    tracks_per_artist, segments, test_share, seed
        As for :func:`protocol_assignment`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_protocols(seed=0)
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes]
    ['segment-random', 'track-grouped', 'artist-grouped']
    >>> [ax.get_title().splitlines()[1] for ax in fig.axes]
    ['test side: 30 of 100 segments', 'test side: 3 of 10 songs', 'test side: 2 of 5 artists']
    >>> plt.close(fig)
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    artist, test = protocol_assignment(tracks_per_artist, segments=segments, test_share=test_share, seed=seed)
    n_tracks, n_artists = len(artist), len(np.unique(artist))
    colours = plt.get_cmap("tab10")
    song = np.concatenate([np.arange(1, c + 1) for c in np.bincount(artist)])
    names = [f"artist {chr(65 + a)}, song {s}" for a, s in zip(artist, song)]
    gap = segments + 1  # where the test side starts
    fig, axes = plt.subplots(1, 3, figsize=(12, 0.36 * n_tracks + 2.0), sharey=True, constrained_layout=True)
    for ax, (protocol, held) in zip(axes, test.items()):
        boxes = []
        for row in range(n_tracks):
            sides = {False: 0, True: gap}  # next free column on each side
            for s in range(segments):
                x = sides[bool(held[row, s])]
                sides[bool(held[row, s])] += 1
                boxes.append(Rectangle((x + 0.06, row + 0.1), 0.88, 0.8, color=colours(artist[row] % 10)))
                ax.text(x + 0.5, row + 0.5, str(s + 1), ha="center", va="center", fontsize=6, color="white",
                        in_layout=False)  # inside the axes: the layout need not measure 300 labels
        ax.add_collection(PatchCollection(boxes, match_original=True))  # one artist: quicker than 100 patches
        ax.axvline(segments + 0.5, ls="--", color="black", lw=1)
        for x, label in ((segments / 2, "training side"), (gap + segments / 2, "test side")):
            ax.text(x, -0.35, label, ha="center", va="bottom", fontsize=9)
        tracks, artists = on_both_sides(artist, held)
        held_out = {"segment": f"{held.sum()} of {held.size} segments",
                    "track": f"{held.all(axis=1).sum()} of {n_tracks} songs",
                    "artist": f"{len(np.unique(artist[held.all(axis=1)]))} of {n_artists} artists"}[protocol]
        ax.set_title(f"{PROTOCOL_NAMES[protocol]}\ntest side: {held_out}\non both sides: {tracks} of {n_tracks} "
                     f"songs, {artists} of {n_artists} artists", fontsize=10)
        ax.set(xlim=(-0.2, gap + segments + 0.2), ylim=(n_tracks + 0.1, -1.0), xticks=[])
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
    axes[0].set_yticks(np.arange(n_tracks) + 0.5, names, fontsize=8)
    for label, a in zip(axes[0].get_yticklabels(), artist):
        label.set_color(colours(a % 10))
    fig.supxlabel(f"segments of 3 s, numbered 1–{segments} within their song, on the side the split puts them",
                  fontsize=10)
    fig.suptitle("Where the segments of each song land under the three protocols (a toy collection)")
    return fig
