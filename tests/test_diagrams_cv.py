"""The folds of a cross-validation as notebook 04's primer draws them (gtzan_helpers.diagrams)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gtzan_helpers.diagrams import fold_blocks, plot_folds  # noqa: E402


@pytest.mark.parametrize("grouped", [True, False])
def test_every_segment_sits_in_exactly_one_fold(grouped):
    blocks = fold_blocks(5, tracks=10, segments_per_track=3, grouped=grouped, seed=1)
    assert len(blocks) == 5
    counts = np.bincount(np.concatenate(blocks), minlength=10)
    assert counts.tolist() == [3] * 10  # each track's three segments, each in one fold
    assert max(map(len, blocks)) - min(map(len, blocks)) <= 1


def test_grouped_folds_never_cut_a_track_and_shuffled_ones_do():
    grouped = fold_blocks(5, tracks=10, segments_per_track=3, grouped=True)
    folds_of = [{f for f, block in enumerate(grouped) if t in block} for t in range(10)]
    assert all(len(f) == 1 for f in folds_of)
    shuffled = fold_blocks(5, tracks=10, segments_per_track=3, grouped=False, seed=0)
    assert any(len({f for f, block in enumerate(shuffled) if t in block}) > 1 for t in range(10))


def test_the_shuffle_depends_on_its_seed_only():
    a, b = (fold_blocks(4, tracks=8, grouped=False, seed=3) for _ in range(2))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    state = np.random.get_state()[1].copy()
    fold_blocks(4, tracks=8, grouped=False, seed=4)
    assert np.array_equal(np.random.get_state()[1], state)  # the global generator is untouched


@pytest.mark.parametrize("kwargs", [dict(), dict(tracks=10, grouped=True), dict(tracks=10, grouped=False)])
def test_each_round_holds_out_one_fold_and_each_fold_is_held_out_once(kwargs):
    fig = plot_folds(5, **kwargs)
    ax = fig.axes[0]
    tested = [p for p in ax.patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("#f6b26b")]
    rows = {round(p.get_y() + p.get_height() / 2) for p in tested}
    assert rows == set(range(5))
    starts = sorted({round(min(p.get_x() for p in tested if round(p.get_y() + 0.4) == r), 3) for r in range(5)})
    assert len(starts) == 5  # a different block in every round
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"fold {i}" for i in range(1, 6)]
    assert ax.get_ylabel() and ax.get_xlabel() and ax.get_title()
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert bool(hatched) == (kwargs.get("grouped") is False)  # the same song on both sides only when shuffled
    plt.close(fig)


def test_it_draws_into_a_given_axes_and_refuses_what_it_cannot_draw():
    fig, ax = plt.subplots()
    assert plot_folds(3, ax=ax) is fig
    plt.close(fig)
    with pytest.raises(ValueError):
        plot_folds(1)
    with pytest.raises(ValueError):
        fold_blocks(5, tracks=3)
    with pytest.raises(ValueError):
        plot_folds(5, tracks=30)
