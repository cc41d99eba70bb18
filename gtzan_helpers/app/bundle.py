"""Model bundles: a trained MLP with everything needed to use it, in one safe file.

A bundle is a NumPy ``.npz`` archive read with ``allow_pickle=False``: plain arrays
(the network's weights, the scaler's statistics, a background sample for SHAP) and
one JSON document (format version, feature names and order, label names, whether its
rows are 3-second segments or whole clips, hyperparameters, the versions that made it,
a SHA-256 of every array, and one of the document itself). Loading never unpickles or
executes anything from the file: it checks the declared unpacked size against a cap, then
the metadata's digest and fields, then each array's dtype and shape against the recorded
architecture before reading its data, then every array's digest, and refuses a wrong,
damaged or altered file with a one-line :class:`BundleError`. The digests detect damage and
mismatch, not who made the file: anyone can write a consistent bundle.
Used by ``gtzan train``, ``gtzan predict`` and ``gtzan explain``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from .. import DEFAULT_PROTOCOL, GENRES, GtzanError, __version__
from ..features.segment import FEATURE_NAMES
from ..model import MLP
from ..paths import atomic_path
from ..recipe import RECIPE, Recipe
from ..scoring import class_probabilities
from ..splits import validation_groups
from ..training import Task, predict_proba, train

FORMAT = "gtzan-mlp-bundle"
FORMAT_VERSION = 3
"""Version 3 records a SHA-256 of the whole metadata (``content_sha256``, over the JSON without
it, which holds every array's digest), so that no label, row kind or setting can change
unnoticed; version 2 recorded whether the rows were 3-second segments or whole clips. Files of
earlier versions are refused: their metadata is not covered by a digest."""
READABLE_VERSIONS = (3,)
MAX_BUNDLE_BYTES = 64 * 2 ** 20
"""The most a bundle may hold unpacked (the shipped ones: under 1 MB); checked before unpacking."""
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SHIPPED_MODELS = {"blues-metal": MODELS_DIR / "default.npz", "ten-genres": MODELS_DIR / "ten_genres.npz"}
"""The shipped bundles, by name: the study's blues/metal network trained on the 3-second table
(``gtzan train`` with its defaults), and a ten-genre logistic regression, the best on unheard
artists, on the 30-second table (``gtzan train … --genres all --model linear``)."""
DEFAULT_MODEL = SHIPPED_MODELS["blues-metal"]
SHIPPED_SHA256 = {"blues-metal": "ab0d2d093e073757e4427f89e8ec9b8ac2b00fa03a98875a54afab04907f53d1",
                  "ten-genres": "eef280ff1a813121b0e8f068e0333837da756d1db3b7600cf7ec9b7c079b1b23"}
"""Whole-file digests of the shipped bundles (a differing one is refused); retraining records anew."""


class BundleError(GtzanError):
    """A model file cannot be used; the message names the file and says why."""


@dataclass
class Bundle:
    """A loaded model bundle.

    Attributes
    ----------
    weights : dict of numpy.ndarray
        The network's state dict as arrays (``net.0.weight`` …).
    mean, scale : numpy.ndarray, shape (n_features,)
        Standardisation: the network sees ``(x - mean) / scale``.
    background : numpy.ndarray, shape (m, n_features)
        Scaled training rows, the reference of SHAP's base value.
    metadata : dict
        Feature names, labels, hyperparameters, versions.
    """

    weights: dict
    mean: np.ndarray
    scale: np.ndarray
    background: np.ndarray
    metadata: dict

    @property
    def feature_names(self) -> list[str]:
        return list(self.metadata["feature_names"])

    @property
    def labels(self) -> list[str]:
        return list(self.metadata["labels"])

    @property
    def whole_clip(self) -> bool:
        """Whether the model was trained on whole clips (one row per song, Kaggle's 30-second
        table) rather than 3-second segments: a new song's features must be computed the same way."""
        return self.metadata.get("rows") == "whole clips"

    def transform(self, X) -> np.ndarray:
        """Scale raw features (n, n_features) as the network expects them."""
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale).astype(np.float32)

    @functools.cached_property
    def model(self):
        """The network as a PyTorch :class:`~gtzan_helpers.model.MLP` (eval mode, CPU), built
        once: ``gtzan predict`` on a folder uses it for every file."""
        model = _architecture(self.metadata["architecture"], len(self.labels))
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.weights.items()})
        return model.eval()

    def predict_proba(self, X) -> np.ndarray:
        """Probability of every label for each row of raw features, shape (n, len(labels))."""
        return class_probabilities(predict_proba(self.model, self.transform(X), device="cpu"))


def _architecture(arch: dict, n_classes: int):
    """An untrained :class:`~gtzan_helpers.model.MLP` of the recorded architecture."""
    return MLP(arch["n_features"], arch["hidden"], arch["dropout"], n_classes)


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _metadata_digest(metadata: dict) -> str:
    """SHA-256 of the metadata's JSON without its own digest: it covers the arrays' digests too."""
    rest = {k: v for k, v in metadata.items() if k != "content_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def _read_entry(archive: zipfile.ZipFile, name: str, path, expected=None) -> np.ndarray:
    """One ``.npy`` entry, its header checked before its data is read: the dtype and shape
    ``expected`` (a ``(dtype, shape)`` pair; None for the metadata, bytes), and a size that
    fits the entry."""
    with archive.open(f"{name}.npy") as handle:
        try:
            major, _ = np.lib.format.read_magic(handle)
            shape, fortran, dtype = (np.lib.format.read_array_header_1_0(handle) if major == 1
                                     else np.lib.format.read_array_header_2_0(handle))
        except ValueError as exc:
            raise BundleError(f"{path}: entry {name} is not an array ({exc})") from None
        if dtype.hasobject or fortran:
            raise BundleError(f"{path}: entry {name} holds objects or a Fortran-ordered array")
        if expected is None:
            ok = dtype == np.uint8 and len(shape) == 1
        else:
            ok = dtype == np.dtype(expected[0]) and tuple(shape) == tuple(expected[1])
        if not ok:
            raise BundleError(f"{path}: entry {name} is {dtype} of shape {tuple(shape)}, not " + (
                "bytes" if expected is None else f"{np.dtype(expected[0])} of shape {tuple(expected[1])}"))
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if size > archive.getinfo(f"{name}.npy").file_size:
            raise BundleError(f"{path}: entry {name} declares more data than it holds")
        data = handle.read(size)
    if len(data) != size:
        raise BundleError(f"{path}: entry {name} is cut short")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()  # writable, as PyTorch wants


def save_bundle(path, model, *, mean, scale, background, hyperparameters: dict,
                feature_names=FEATURE_NAMES, labels=GENRES, whole_clip: bool = False) -> Path:
    """Write a bundle atomically; the same inputs always give the same bytes.

    Parameters
    ----------
    path : str or Path
        Output file (``.npz``).
    model : gtzan_helpers.model.MLP
    mean, scale : array-like, shape (n_features,)
    background : array-like, shape (m, n_features)
        Scaled rows kept for SHAP.
    hyperparameters : dict
        How it was trained (recorded, not used to load).
    labels : sequence of str
        The genre of each of the model's classes, in label order.
    whole_clip : bool
        The rows it was trained on describe whole clips, not 3-second segments.
    """
    arrays = {f"weight/{k}": v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    arrays |= {"scaler/mean": np.asarray(mean, np.float64), "scaler/scale": np.asarray(scale, np.float64),
               "background": np.asarray(background, np.float32)}
    metadata = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "feature_names": list(feature_names), "labels": list(labels),
        "rows": "whole clips" if whole_clip else "3-second segments",
        "background_rows": len(arrays["background"]),
        "architecture": {"n_features": model.n_features, "hidden": list(model.hidden),
                         "dropout": model.dropout},
        "hyperparameters": hyperparameters,
        "versions": {"gtzan_helpers": __version__, "torch": torch.__version__.split("+")[0],
                     "numpy": np.__version__, "librosa": version("librosa")},
        "sha256": {name: _digest(a) for name, a in sorted(arrays.items())},
    }
    metadata["content_sha256"] = _metadata_digest(metadata)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # zip entries with a fixed date, so that retraining with the same seed gives the same file
    with atomic_path(path) as scratch, zipfile.ZipFile(scratch, "w",
                                                      compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {**arrays, "metadata": np.frombuffer(
            json.dumps(metadata, sort_keys=True).encode(), dtype=np.uint8)}
        for name, array in sorted(entries.items()):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)),
                             buffer.getvalue())
    return path


def _metadata(raw: np.ndarray, path) -> dict:
    """The metadata of a bundle, checked whole (its digest), then field by field."""
    try:
        metadata = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError(f"{path}: not a model bundle (no readable metadata)") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise BundleError(f"{path}: not a model bundle (its metadata names another format)")
    if metadata.get("format_version") not in READABLE_VERSIONS:
        raise BundleError(f"{path}: bundle format version {metadata.get('format_version')!r} is not "
                          f"supported (this version reads {', '.join(map(str, READABLE_VERSIONS))}; "
                          "retrain it with gtzan train)")
    if metadata.get("content_sha256") != _metadata_digest(metadata):
        raise BundleError(f"{path}: the model's metadata does not match its recorded SHA-256 "
                          "(file damaged or tampered with)")
    if metadata.get("feature_names") != list(FEATURE_NAMES):
        raise BundleError(f"{path}: the model's features do not match the 57 features this package "
                          "computes (names or order differ)")
    labels = metadata.get("labels")
    if (not isinstance(labels, list) or len(labels) < 2 or len(set(labels)) != len(labels)
            or not all(isinstance(label, str) and label for label in labels)):
        raise BundleError(f"{path}: the model's labels {labels!r} are not two or more distinct names")
    if metadata.get("rows") not in ("3-second segments", "whole clips"):
        raise BundleError(f"{path}: the model's rows are {metadata.get('rows')!r}, not "
                          "'3-second segments' or 'whole clips'")
    if not isinstance(metadata.get("sha256"), dict):
        raise BundleError(f"{path}: not a model bundle (no digests of its arrays)")
    return metadata


def _expected_arrays(metadata: dict, path) -> dict:
    """Each array a bundle of this metadata holds: name → (dtype, shape)."""
    arch = metadata.get("architecture") or {}
    if arch.get("n_features") != len(FEATURE_NAMES):
        raise BundleError(f"{path}: the network takes {arch.get('n_features')} inputs, not "
                          f"{len(FEATURE_NAMES)} features")
    try:
        shapes = {k: tuple(v.shape) for k, v in _architecture(arch, len(metadata["labels"])).state_dict().items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{path}: unusable architecture {arch} ({exc})") from None
    declared = {k[len("weight/"):] for k in metadata["sha256"] if k.startswith("weight/")}
    if declared != set(shapes):
        raise BundleError(f"{path}: weights do not fit the recorded architecture "
                          f"{[arch['n_features'], *(shape[0] for k, shape in shapes.items() if k.endswith('.bias'))]}")
    rows = metadata.get("background_rows")
    if not isinstance(rows, int) or not 0 < rows <= 10_000:
        raise BundleError(f"{path}: the model's background holds {rows!r} rows, not 1 to 10000")
    n = len(FEATURE_NAMES)
    return {**{f"weight/{k}": (np.float32, shape) for k, shape in shapes.items()},
            "scaler/mean": (np.float64, (n,)), "scaler/scale": (np.float64, (n,)),
            "background": (np.float32, (rows, n))}


def load_bundle(path=None) -> Bundle:
    """Read and check a bundle; never unpickles anything.

    Parameters
    ----------
    path : str or Path, optional
        A bundle file, or the name of a shipped one (:data:`SHIPPED_MODELS`); defaults to
        the blues/metal model (:data:`DEFAULT_MODEL`).

    Raises
    ------
    BundleError
        Missing, unreadable, too large, of another format or version or features, with
        metadata or arrays that do not match their digests or the recorded network.
    """
    # a shipped model's name, unless a file of that name is here
    path = DEFAULT_MODEL if path is None else Path(path) if Path(path).is_file() else Path(
        SHIPPED_MODELS.get(str(path), path))
    if not path.is_file():
        raise BundleError(f"{path}: no such model file")
    shipped = {file.resolve(): name for name, file in SHIPPED_MODELS.items()}.get(path.resolve())
    if shipped and hashlib.sha256(path.read_bytes()).hexdigest() != SHIPPED_SHA256[shipped]:
        raise BundleError(f"{path}: the shipped {shipped} model differs from the one this package was "
                          "made with (a damaged install? reinstall the package)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            # the sizes the directory declares, before anything is unpacked: no memory bomb
            if sum(info.file_size for info in infos) > MAX_BUNDLE_BYTES:
                raise BundleError(f"{path}: unpacks to {sum(i.file_size for i in infos) / 2 ** 20:.0f} MB, more "
                                  f"than a bundle may hold ({MAX_BUNDLE_BYTES / 2 ** 20:.0f} MB)")
            names = {info.filename[:-len(".npy")] for info in infos if info.filename.endswith(".npy")}
            if "metadata" not in names or len(names) != len(infos):
                raise BundleError(f"{path}: not a model bundle (no metadata, or entries that are not arrays)")
            metadata = _metadata(_read_entry(archive, "metadata", path), path)
            expected = _expected_arrays(metadata, path)
            if names - {"metadata"} != set(expected):
                raise BundleError(f"{path}: the model's arrays are not those its metadata lists "
                                  "(file damaged or tampered with)")
            arrays = {name: _read_entry(archive, name, path, wanted) for name, wanted in expected.items()}
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise BundleError(f"{path}: not a model bundle ({type(exc).__name__}: {exc})") from None
    digests = metadata["sha256"]
    if any(_digest(arrays[k]) != v for k, v in digests.items()):
        raise BundleError(f"{path}: the model's arrays do not match their recorded SHA-256 "
                          "(file damaged or tampered with)")
    if np.any(arrays["scaler/scale"] <= 0):  # their shapes were checked with every array's
        raise BundleError(f"{path}: the scaler's spreads are not all positive")
    weights = {k[len("weight/"):]: v for k, v in arrays.items() if k.startswith("weight/")}
    return Bundle(weights, arrays["scaler/mean"], arrays["scaler/scale"], arrays["background"], metadata)


def train_bundle(table, path, *, protocol: str = DEFAULT_PROTOCOL, recipe: Recipe = RECIPE, seed: int = 0,
                 background_size: int = 100, progress: bool = False) -> Bundle:
    """Train the MLP of ``recipe`` on a whole table and save it as a bundle.

    The bundle's labels are the table's genres (:attr:`FeatureTable.genres`): two give
    the study's sigmoid network, more a softmax one. A table of whole clips
    (:attr:`FeatureTable.whole_clips`) gives a bundle that says so, and ``gtzan predict``
    then computes one row over each new song instead of one per segment. Early stopping watches the
    :func:`~gtzan_helpers.splits.validation_split` of the table's
    :func:`~gtzan_helpers.splits.validation_groups`: tracks with their duplicates
    (``protocol="track"``, and ``"segment"``: a song is never on both sides) or artists
    (``"artist"``); the scaler is fitted on the rest. The bundle records the recipe it
    trained with.

    Returns
    -------
    Bundle
        The bundle as :func:`load_bundle` reads it back from ``path``.
    """
    trained = train(Task(table.X, table.y, validation_groups(table, protocol), seed=seed), recipe,
                    n_classes=len(table.genres), device="cpu", progress="training" if progress else None)
    X_fit = trained.scaler.transform(table.X.iloc[trained.fit_rows])
    pick = np.sort(np.random.default_rng(seed).choice(len(X_fit), min(background_size, len(X_fit)),
                                                      replace=False))
    scaler, history = trained.scaler, trained.history
    save_bundle(path, trained.model, mean=scaler.mean_, scale=scaler.scale_, background=X_fit[pick],
                labels=table.genres, whole_clip=table.whole_clips,
                hyperparameters={"protocol": protocol, "seed": seed, "recipe": recipe.to_dict(),
                                 "best_epoch": trained.best_epoch,
                                 "validation_accuracy": round(float(history["val_accuracy"].iloc[trained.best_epoch - 1]), 4)})
    return load_bundle(path)
