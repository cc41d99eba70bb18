"""The drawings of notebook 02: the activations and the three protocols on a toy collection."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gtzan_helpers.diagrams import (on_both_sides, plot_activations, plot_protocols,  # noqa: E402
                                    protocol_assignment)


def _whole(test, groups):
    """Whether every group (rows of ``test`` sharing a label) sits on one side only."""
    return all(test[groups == g].all() or not test[groups == g].any() for g in np.unique(groups))


@pytest.mark.parametrize("seed", range(5))
def test_each_protocol_keeps_its_groups_together_and_holds_out_its_share(seed):
    counts = (3, 2, 2, 1, 2)
    artist, test = protocol_assignment(counts, segments=10, test_share=0.3, seed=seed)
    assert artist.tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 4, 4]
    assert set(test) == {"segment", "track", "artist"}
    assert all(t.shape == (10, 10) and t.dtype == bool for t in test.values())
    assert test["segment"].sum() == 30                      # 30 % of the 100 segments
    assert test["track"].all(axis=1).sum() == 3             # 30 % of the 10 tracks, whole
    assert _whole(test["track"], np.arange(10))
    assert _whole(test["artist"], artist)                   # whole artists …
    assert len(np.unique(artist[test["artist"][:, 0]])) == 2  # … 30 % of the 5, rounded up as the report's splits do
    assert on_both_sides(artist, test["artist"]) == (0, 0)
    assert on_both_sides(artist, test["track"])[0] == 0


def test_the_default_drawing_shows_each_leak_it_is_meant_to_show():
    artist, test = protocol_assignment()
    songs, artists = on_both_sides(artist, test["segment"])
    assert songs == len(artist) and artists == len(np.unique(artist))  # every song on both sides
    assert on_both_sides(artist, test["track"]) == (0, 3)               # no song, but artists do


def test_the_split_is_a_function_of_the_seed_and_leaves_the_global_random_state_alone():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    first = protocol_assignment(seed=7)[1]
    fig = plot_protocols(seed=7)
    plt.close(fig)
    assert np.random.random() == expected
    again = protocol_assignment(seed=7)[1]
    assert all(np.array_equal(first[p], again[p]) for p in first)
    other = protocol_assignment(seed=8)[1]
    assert not all(np.array_equal(first[p], other[p]) for p in first)


def test_on_both_sides_counts_mixed_tracks_and_artists():
    artist = np.array([0, 0, 1, 1])
    test = np.array([[True, True], [False, False], [True, False], [True, True]])
    assert on_both_sides(artist, test) == (1, 2)
    assert on_both_sides(artist, np.zeros((4, 2), bool)) == (0, 0)


@pytest.mark.parametrize("bad", [dict(tracks_per_artist=(3,)), dict(tracks_per_artist=(2, 0)),
                                 dict(segments=0), dict(test_share=0.0), dict(test_share=1.0)])
def test_protocol_assignment_refuses_what_it_cannot_draw(bad):
    with pytest.raises(ValueError):
        protocol_assignment(**bad)


def _boxes(ax):
    """Lower-left corner of each segment box of a panel (its one collection of rectangles)."""
    [boxes] = ax.collections
    return np.array([path.vertices.min(axis=0) for path in boxes.get_paths()])


def test_plot_protocols_draws_every_segment_on_its_side():
    fig = plot_protocols(seed=1)
    artist, test = protocol_assignment(seed=1)
    try:
        assert [ax.get_title().splitlines()[0] for ax in fig.axes] == ["segment-random", "track-grouped",
                                                                       "artist-grouped"]
        titles = [ax.get_title().splitlines() for ax in fig.axes]
        assert [t[1] for t in titles] == ["test side: 30 of 100 segments", "test side: 3 of 10 songs",
                                          "test side: 2 of 5 artists"]  # 30 % of each protocol's groups
        assert titles[1][2] == "on both sides: 0 of 10 songs, 2 of 5 artists"
        assert titles[2][2] == "on both sides: 0 of 10 songs, 0 of 5 artists"
        for ax, held in zip(fig.axes, test.values()):
            xs = _boxes(ax)[:, 0]
            assert len(xs) == test["segment"].size
            assert (xs > 10.5).sum() == held.sum()        # right of the dashed line: the test side
        assert fig.get_supxlabel().startswith("segments of 3 s")
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()][:2] == ["artist A, song 1", "artist A, song 2"]
        again = plot_protocols(seed=1)
        assert all(np.array_equal(_boxes(a), _boxes(b)) for a, b in zip(fig.axes, again.axes))
        plt.close(again)
    finally:
        plt.close(fig)


def test_plot_activations_draws_relu_and_the_sigmoid():
    fig = plot_activations(z_max=4.0)
    try:
        relu, sigmoid = (ax.get_lines()[0] for ax in fig.axes)
        z = relu.get_xdata()
        assert z.min() == -4.0 and z.max() == 4.0
        assert np.allclose(relu.get_ydata(), np.maximum(z, 0))
        assert np.allclose(sigmoid.get_ydata(), 1 / (1 + np.exp(-z)))
        assert all(ax.get_xlabel() and ax.get_ylabel() and ax.get_title() for ax in fig.axes)
        assert all(ax.get_title().count("$") == 2 for ax in fig.axes)  # each title's formula in TeX
    finally:
        plt.close(fig)
    with pytest.raises(ValueError):
        plot_activations(z_max=0)
