import numpy as np
import pytest


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
