"""Saving and showing figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import gtzan_helpers.plots as plots  # noqa: E402
from gtzan_helpers.paths import ROOT  # noqa: E402


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


def test_notebooks_draw_each_figure_once():
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert "plt.show(" not in cell.source and "save_figure(" not in cell.source, path.name
