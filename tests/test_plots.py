"""Saving and showing figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import gtzan_helpers.plots as plots  # noqa: E402


def test_show_figure_shows_the_file_it_wrote_and_closes_the_figure(tmp_path, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    assert plots.show_figure(fig, "line", folder=tmp_path / "figures") is None
    path = tmp_path / "figures" / "line.png"
    assert not plt.fignum_exists(fig.number)
    [image] = shown
    assert image.data == path.read_bytes() and image.format == "png"
    assert path.read_bytes().startswith(b"\x89PNG")
