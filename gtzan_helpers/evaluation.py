"""The study's experiments and the one cross-validation: hold-out, k-fold CV over candidates, sweeps.

Every split comes from :mod:`.splits` under one of the three protocols, every network
is trained by :func:`.training.train`, and every score is computed by :mod:`.scoring`.
:func:`cross_validate` is the one cross-validation of the package: it scores any
*candidates* (objects with ``fit(X, y, tracks, groups, n_classes)`` and
``predict_proba(X, tracks)``) on the same folds of one or more protocols, repeated, and
returns one row per (candidate, protocol, repeat, fold). The study's network is the
candidate :class:`NetworkCandidate`; the honest wing (:mod:`.honest`) adds others. A
sweep (:func:`sweep`) is cross-validation over candidate recipes. Used by notebooks
02–10 and ``gtzan evaluate``; the statistics of the scores are in :mod:`.stats`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import DEFAULT_PROTOCOL, PROTOCOLS
from .data import FeatureTable
from .recipe import RECIPE, Recipe
from .scoring import brier_score, score
from .splits import holdout_split, make_folds, validation_groups
from .stats import summarize_folds
from .training import Task, Trained, train

STOPPING = ("held-out", "inner")
"""What early stopping watches: ``"held-out"``, the rows that are then scored (the study's
recipe: the test side of the hold-out, the held-out fold of cross-validation; an optimistic
bias), or ``"inner"``, a validation split of the training rows' groups. The study's experiments
(:func:`train_holdout`, :func:`sweep`) watch the held-out rows by default, as the study did; a
:class:`NetworkCandidate` watches an inner split."""


def _check_stopping(stopping: str) -> None:
    if stopping not in STOPPING:
        raise ValueError(f"stopping must be one of {STOPPING}, got {stopping!r}")


@dataclass
class HoldoutResult:
    """A network trained on one side of :func:`~gtzan_helpers.splits.holdout_split` and scored on the other."""

    trained: Trained
    train_rows: np.ndarray
    test_rows: np.ndarray
    test_proba: np.ndarray
    test_accuracy: float
    test_loss: float
    test_track_accuracy: float


def train_holdout(table: FeatureTable, recipe: Recipe = RECIPE, *, protocol: str = DEFAULT_PROTOCOL,
                  seed: int = 0, stopping: str = "held-out", device=None) -> HoldoutResult:
    """The study's experiment: a split of ``recipe.test_size``, one network, its test scores.

    With ``stopping="held-out"``, as in the study, the test side doubles as the validation
    set for early stopping; its scores are therefore optimistic (notebook 02 says so).
    ``stopping="inner"`` watches the :func:`~gtzan_helpers.splits.validation_split` of
    the training side instead (the network trains on the rest of it), so the epoch is
    chosen without the test rows (notebook 03).

    Returns
    -------
    HoldoutResult
    """
    _check_stopping(stopping)
    train_rows, test_rows = holdout_split(table, protocol=protocol, test_size=recipe.test_size, seed=seed)
    X_test, y_test = table.X.iloc[test_rows], table.y[test_rows]
    task = Task(table.X.iloc[train_rows], table.y[train_rows], validation_groups(table, protocol)[train_rows],
                watch=(X_test, y_test) if stopping == "held-out" else None, seed=seed)
    trained = train(task, recipe, n_classes=len(table.genres), device=device)
    proba = trained.predict_proba(X_test)
    scores = score(proba, y_test, table.tracks[test_rows])
    return HoldoutResult(trained, train_rows[trained.fit_rows], test_rows, proba, scores["accuracy"],
                         scores["loss"], scores["track_accuracy"])


@dataclass
class NetworkCandidate:
    """The study's network as a candidate of :func:`cross_validate`: ``n_models`` networks of
    ``recipe``, their probabilities averaged.

    Parameters
    ----------
    recipe : Recipe
    stopping : {"inner", "held-out"}
        What early stopping watches (:data:`STOPPING`); ``recipe.patience=None`` trains
        ``recipe.max_epochs`` epochs (on every training row with ``recipe.validation_fraction=0``).
    n_models : int
        Networks trained from seeds ``1000 * seed + i`` (``i`` from 0), the same in every fold and
        repeat; the validation split is drawn with ``seed``.
    seed : int
    fold_seeds : bool
        Draw the first network and the validation split of fold ``k`` (from 1) from
        ``seed + k - 1`` instead (network ``i`` from ``seed + k - 1 + 1000 i``), as the study's
        sweeps do (:func:`sweep`).
    engine : {"stacked", "plain"}
        As in :func:`~gtzan_helpers.training.train`: the networks of all folds together, or
        the reference loop one after another.
    device : str, optional
    """

    recipe: Recipe = RECIPE
    stopping: str = "inner"
    n_models: int = 1
    seed: int = 0
    fold_seeds: bool = False
    engine: str = "stacked"
    device: str | None = None

    def training_tasks(self, X, y, tracks, groups=None, watch=None, fold: int = 1) -> list[Task]:
        """The networks to train (:class:`~gtzan_helpers.training.Task`) in fold ``fold``; ``watch``
        is the held-out (X, y, tracks) that ``stopping="held-out"`` watches."""
        _check_stopping(self.stopping)
        if self.stopping == "held-out" and watch is None:
            raise ValueError("stopping='held-out' watches the rows that are then scored: pass them as watch "
                             "(cross_validate does)")
        groups = np.asarray(tracks if groups is None else groups)
        watched = (watch[0], watch[1]) if self.stopping == "held-out" else None
        if self.fold_seeds:
            first = self.seed + fold - 1
            seeds, split_seed = [first + 1000 * i for i in range(self.n_models)], first
        else:
            seeds, split_seed = [self.seed * 1000 + i for i in range(self.n_models)], self.seed
        return [Task(X, y, groups, watch=watched, seed=s, split_seed=split_seed) for s in seeds]

    def adopt(self, trained: list[Trained]) -> "NetworkCandidate":
        """Keep the networks trained for :meth:`training_tasks`."""
        self.networks_ = list(trained)
        self.epochs_ = int(round(np.mean([t.best_epoch for t in self.networks_])))
        return self

    def fit(self, X, y, tracks, groups=None, n_classes: int = 2, watch=None, fold: int = 1) -> "NetworkCandidate":
        tasks = self.training_tasks(X, y, tracks, groups, watch, fold)
        return self.adopt(train(tasks, self.recipe, n_classes=n_classes, engine=self.engine, device=self.device))

    def predict_proba(self, X, tracks=None) -> np.ndarray:
        return np.mean([network.predict_proba(X) for network in self.networks_], axis=0)


def trains_networks(candidate) -> bool:
    """Whether a candidate trains networks, itself or among its options (:func:`cross_validate`
    may repeat these fewer times: each repeat trains every fold's networks again)."""
    return any(isinstance(option, NetworkCandidate) for option in getattr(candidate, "options", {"": candidate}).values())


@dataclass
class Fold:
    """One fold of :func:`cross_validate`: its rows, and the groups its validation split keeps together."""

    protocol: str
    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray
    groups: np.ndarray


def cross_validate(table: FeatureTable, candidates: dict, *, protocol: str | tuple = DEFAULT_PROTOCOL,
                   n_splits: int = RECIPE.n_splits, n_repeats: int = 1, network_repeats: int | None = None,
                   seed: int = 0, n_jobs: int | None = None, progress: bool = False,
                   keep_proba: bool = False) -> pd.DataFrame:
    """Score each candidate on the same repeated k-fold splits of each protocol.

    In each fold a fresh copy of every candidate is fitted on the training rows and scores
    the held-out rows; inside a fold, a validation split keeps the protocol's groups
    together (tracks, for the segment protocol). Networks of one recipe train as one stack
    (the candidates with ``training_tasks``, all their folds together); the other candidates
    fold by fold. :func:`gtzan_helpers.fast.map_jobs` spreads the work over processes when
    that pays; the numbers do not depend on it.

    Parameters
    ----------
    table : FeatureTable
    candidates : dict
        Name → candidate (:class:`NetworkCandidate`, or :mod:`gtzan_helpers.honest.candidates`).
    protocol : {"segment", "track", "artist"} or a sequence of them
    n_splits, n_repeats, seed : int
        Repeat ``r`` (from 1) uses folds shuffled with ``seed + r - 1``
        (:func:`~gtzan_helpers.splits.make_folds`).
    network_repeats : int, optional
        Repeats for the candidates that train networks (:func:`trains_networks`), which
        cost most; they run on the first of the same folds. Default: ``n_repeats``.
    n_jobs : int, optional
        As in :func:`gtzan_helpers.fast.map_jobs`.
    progress : bool
        Show a progress bar on stderr (where it is a terminal).
    keep_proba : bool
        Also keep each fold's ``test_rows`` and ``proba`` (for out-of-fold analyses).

    Returns
    -------
    pandas.DataFrame
        One row per (protocol, repeat, fold, candidate): ``candidate``, ``protocol``,
        ``repeat``, ``fold``, the :func:`~gtzan_helpers.scoring.score` columns, ``brier``,
        ``n_train``, ``n_test``, ``epochs`` (the networks' mean best epoch; missing for
        other models) and ``chosen`` (the option a nested selection chose; None for others).
    """
    from .fast.parallel import map_jobs  # processes only where there is work to spread

    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    repeats = {name: n_repeats if network_repeats is None or not trains_networks(c) else network_repeats
               for name, c in candidates.items()}
    folds = [fold for p in protocols for fold in protocol_folds(table, p, n_splits=n_splits, seed=seed,
                                                                n_repeats=max(repeats.values(), default=0))]
    # networks train all their folds in one call (one stack, with the stacked engine); the rest fold by fold
    batched = [name for name, c in candidates.items() if hasattr(c, "training_tasks")]
    jobs = [(table, [(name, c, fold) for name, c in candidates.items()
                     if name not in batched and fold.repeat <= repeats[name]]) for fold in folds]
    jobs += [(table, [(name, candidates[name], fold) for fold in folds if fold.repeat <= repeats[name]])
             for name in batched]
    done = map_jobs(fit_and_score, [job for job in jobs if job[1]], n_jobs=n_jobs,
                    progress="cross-validating" if progress else None)
    order = {name: i for i, name in enumerate(candidates)}
    rows = sorted((row for rows in done for row in rows),
                  key=lambda r: (protocols.index(r["protocol"]), r["repeat"], r["fold"], order[r["candidate"]]))
    results = pd.DataFrame(rows)
    return results if keep_proba else results.drop(columns=["test_rows", "proba"])


def protocol_folds(table: FeatureTable, protocol: str, *, n_splits: int = RECIPE.n_splits, seed: int = 0,
                   n_repeats: int = 1) -> list[Fold]:
    """The folds of :func:`cross_validate` under one protocol: repeat ``r`` (from 1) drawn with
    ``seed + r - 1`` (:func:`~gtzan_helpers.splits.make_folds`), the protocol's groups computed once
    (tracks for the segment protocol, which its validation splits keep whole)."""
    groups = validation_groups(table, protocol)
    return [Fold(protocol, repeat + 1, k + 1, train_rows, test_rows, groups[train_rows])
            for repeat in range(n_repeats)
            for k, (train_rows, test_rows) in enumerate(make_folds(table, protocol=protocol, n_splits=n_splits,
                                                                   seed=seed + repeat, groups=groups))]


def fit_and_score(job) -> list[dict]:
    """Fit fresh copies of candidates on folds and score them: ``job`` is (table, [(name,
    candidate, :class:`Fold`), …]). The networks among them train as one stack per recipe."""
    table, pairs = job
    models = [copy.deepcopy(candidate) for _, candidate, _ in pairs]
    _train_together(table, [(m, fold) for m, (_, _, fold) in zip(models, pairs) if hasattr(m, "training_tasks")])
    rows = []
    for (name, _, fold), model in zip(pairs, models):
        if not hasattr(model, "training_tasks"):
            fit_on(table, model, fold)
        y, tracks = table.y[fold.test], table.tracks[fold.test]
        proba = model.predict_proba(table.X.iloc[fold.test], tracks)
        rows.append({"candidate": name, "protocol": fold.protocol, "repeat": fold.repeat, "fold": fold.fold,
                     **score(proba, y, tracks), "brier": brier_score(proba, y),
                     "n_train": len(fold.train), "n_test": len(fold.test),
                     "epochs": getattr(model, "epochs_", np.nan),
                     "chosen": getattr(model, "chosen_", None), "test_rows": fold.test, "proba": proba})
    return rows


def fit_on(table: FeatureTable, model, fold: Fold):
    """``model`` fitted on the training rows of ``fold`` (in place; returned), as :func:`cross_validate` fits it."""
    if hasattr(model, "training_tasks"):
        _train_together(table, [(model, fold)])
        return model
    return model.fit(table.X.iloc[fold.train], table.y[fold.train], table.tracks[fold.train], fold.groups,
                     n_classes=len(table.genres))


def _train_together(table: FeatureTable, members: list) -> None:
    """Every network of the (candidate, fold) pairs trained by one :func:`train` call per recipe."""
    by_recipe = {}
    for model, fold in members:
        held_out = (table.X.iloc[fold.test], table.y[fold.test], table.tracks[fold.test])
        tasks = model.training_tasks(table.X.iloc[fold.train], table.y[fold.train], table.tracks[fold.train],
                                     fold.groups, held_out, fold=fold.fold)
        by_recipe.setdefault((model.recipe, model.engine, model.device), []).append((model, tasks))
    for (recipe, engine, device), group in by_recipe.items():
        trained = train([task for _, tasks in group for task in tasks], recipe, n_classes=len(table.genres),
                        engine=engine, device=device)
        for model, tasks in group:
            model.adopt(trained[:len(tasks)])
            trained = trained[len(tasks):]


def with_setting(recipe: Recipe, parameter: str, value) -> Recipe:
    """``recipe`` with one setting changed: any :class:`~gtzan_helpers.recipe.Recipe` field, or
    ``"first_layer"``, the width of the first hidden layer (the others keep the recipe's). The
    fields of the evaluation (``n_splits``, ``test_size``, ``threshold``) are refused.

    Examples
    --------
    >>> from gtzan_helpers.evaluation import with_setting
    >>> from gtzan_helpers.recipe import RECIPE
    >>> with_setting(RECIPE, "first_layer", 256).hidden
    (256, 128, 128)
    >>> with_setting(RECIPE, "lr", 1e-2).lr
    0.01
    """
    if parameter == "first_layer":
        return recipe.replace(hidden=(value, *recipe.hidden[1:]))
    if parameter in ("n_splits", "test_size", "threshold"):  # not the network's: the same network in every run
        raise ValueError(f"{parameter} is a setting of the evaluation, not of the network: pass it to the "
                         "function that splits or scores")
    return recipe.replace(**{parameter: value})


def sweep(table: FeatureTable, parameter: str, values, *, recipe: Recipe = RECIPE, stopping: str = "held-out",
          protocols=PROTOCOLS, n_splits: int = RECIPE.n_splits, seed: int = 0, engine: str = "stacked",
          n_jobs: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validate the study's network for each value of one setting, under each protocol.

    Parameters
    ----------
    table : FeatureTable
    parameter : str
        A field of :class:`~gtzan_helpers.recipe.Recipe` (``"batch_size"``, ``"lr"``, …) or
        ``"first_layer"`` (:func:`with_setting`).
    values : iterable
        The settings to try; every setting sees the same folds (a paired comparison).
    recipe : Recipe
        The other settings.
    stopping : {"held-out", "inner"}
        What early stopping watches (:data:`STOPPING`); the study's sweeps watch the held-out fold.
    protocols : sequence of {"segment", "track", "artist"}
    n_splits, seed, n_jobs
        As in :func:`cross_validate`.
    engine : {"stacked", "plain"}
        As in :func:`~gtzan_helpers.training.train`; the numbers agree statistically, not in their bits.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (protocol, value): mean and standard deviation over folds of
        ``loss``, ``accuracy`` and ``track_accuracy``.
    folds : pandas.DataFrame
        Every fold's row of :func:`cross_validate`, its ``candidate`` column named ``parameter``.
    """
    values = list(values)
    # candidates named by position: a value may be None (patience), which a column would turn into NaN
    candidates = {i: NetworkCandidate(with_setting(recipe, parameter, value), stopping=stopping, seed=seed,
                                      fold_seeds=True, engine=engine) for i, value in enumerate(values)}
    folds = cross_validate(table, candidates, protocol=tuple(protocols), n_splits=n_splits, seed=seed,
                           n_jobs=n_jobs)
    folds = folds.iloc[np.lexsort((folds["candidate"], [list(protocols).index(p) for p in folds["protocol"]]))]
    folds = folds.reset_index(drop=True)
    summaries = [{"protocol": p, parameter: i, **summarize_folds(part)}
                 for (p, i), part in folds.groupby(["protocol", "candidate"], sort=False)]
    def settings(positions):  # the values as a column, None kept as None (not NaN)
        return pd.Series([values[i] for i in positions], dtype=object if None in values else None)

    folds.insert(0, parameter, settings(folds.pop("candidate")))
    summary = pd.DataFrame(summaries).assign(**{parameter: settings(s[parameter] for s in summaries)})
    return summary, folds
