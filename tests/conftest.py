"""Fixtures and helpers shared by the tests: the shipped table, WAV files, tones, a
separable problem, and running the ``gtzan`` command."""

import numpy as np
import pytest

# The package's modules are imported inside the helpers below: pytest's controller process
# loads this file too, and would otherwise import PyTorch and scikit-learn (seconds) for
# nothing before its test processes start.


@pytest.fixture(scope="session")
def table():
    from gtzan_helpers.data import load_feature_table

    return load_feature_table()


@pytest.fixture
def write_wav(tmp_path):
    """Write samples to a WAV file under tmp_path and return its path."""
    import soundfile as sf

    def write(name, samples, sr=22050, subtype=None):
        path = tmp_path / name
        sf.write(path, np.asarray(samples), sr, subtype=subtype)
        return path

    return write


def tone(freq=440.0, seconds=3.0, sr=22050, amplitude=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def separable(n=400, d=6, seed=0):
    """A two-class problem a small network solves: label 1 where x0 + x1 / 2 > 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float32)
    return X, y


def run(capsys, *argv):
    """``gtzan *argv`` in this process: (exit status, stdout, stderr)."""
    from gtzan_helpers.app.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def small_improved_mlp(*, seed=0):
    """The improved MLP's kind of model, small: whole tracks, log variances, an ensemble of two
    networks, and its variant chosen in inner folds (notebook 07 runs the real one)."""
    from gtzan_helpers.honest.candidates import MLPCandidate, SelectedCandidate
    from gtzan_helpers.recipe import RECIPE

    recipe = RECIPE.replace(patience=None, validation_fraction=0, max_epochs=30, dropout=0.5)
    small = dict(track_level=True, log_var=True, n_models=2, seed=seed)
    return SelectedCandidate({"1×32": MLPCandidate(recipe.replace(hidden=(32,)), **small),
                              "1×16": MLPCandidate(recipe.replace(hidden=(16,)), **small)}, seed=seed)
