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


def test_every_figure_a_notebook_shows_is_the_file_it_saved():
    """Each image in a committed notebook is, byte for byte, one of its figures in ``figures/``
    (shown through :func:`~gtzan_helpers.plots.show_figure`, which shows the file it wrote), and
    each of those files is shown by its notebook. A figure drawn by ``plt.show()`` or by the
    inline backend, saved but not shown, or left in ``figures/`` from an older run fails."""
    import base64

    import nbformat

    figures = sorted((ROOT / "figures").glob("*.png"))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        saved = {figure.name: figure.read_bytes() for figure in figures
                 if figure.name.startswith(path.name.split("_")[0] + "_")}
        shown = [base64.b64decode(output.data[mime]) if mime == "image/png" else mime
                 for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
                 for output in cell.outputs for mime in output.get("data", {}) if mime.startswith("image/")]
        unsaved = [index for index, image in enumerate(shown) if image not in saved.values()]
        assert not unsaved, (f"{path.name}: its figures number {unsaved} (counted from 0) are not files "
                             "of figures/ (show_figure saves what it shows)")
        unshown = [name for name, image in saved.items() if image not in shown]
        assert not unshown and len(saved) == len(shown), (f"{path.name} shows {len(shown)} figures of the "
                                                          f"{len(saved)} in figures/, not {unshown}")
        figures = [figure for figure in figures if figure.name not in saved]
    assert not figures, f"no notebook shows {[figure.name for figure in figures]}"


def test_force_plot_marks_the_base_value_labels_0_and_1_and_says_which_way_in_words():
    import doctest

    import numpy as np
    import shap
    from matplotlib.colors import to_rgb

    # pushes that cancel: the stacks run past 0 (left) and 1 (right)
    expl = shap.Explanation(values=np.array([[0.9, -1.2, 0.2]]), base_values=np.array([0.5]),
                            data=np.array([[1.0, 2000.0, 6e-4]]), feature_names=["a", "b", "c"])
    fig = plots.plot_force(expl)
    ax = fig.axes[0]
    texts = {t.get_text(): t for t in ax.texts if t.get_visible()}
    # plain words instead of shap's "higher ⇄ lower"
    assert {"pushes towards metal", "pushes towards blues"} <= set(texts)
    assert not {"higher", "lower"} & set(texts)
    # the base value: a dark, thick line at its place, labelled with its value
    label = texts["base value $\\phi_0$ = 0.50"]
    assert label.get_position()[0] == 0.5 and sum(to_rgb(label.get_color())) < 0.9
    marks = [line for line in ax.lines if line.get_linestyle() == "-" and len(line.get_xdata()) == 2
             and np.allclose(line.get_xdata(), 0.5)]
    assert any(line.get_linewidth() >= 2.5 and sum(to_rgb(line.get_color())) < 0.9 for line in marks)
    # the dotted lines at 0 and 1 are drawn and labelled
    assert {0.0, 1.0} <= {float(line.get_xdata()[0]) for line in ax.lines if line.get_linestyle() == ":"}
    assert {"P(metal) = 0: surely blues ", " P(metal) = 1: surely metal"} <= set(texts)
    plt.close(fig)
    # the docstring's example runs as written
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(plots.plot_force, "plot_force", globs={"plot_force": plots.plot_force, "plt": plt}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0
