"""The report's notebooks: their names, which of them are the course, and which read the
results of others (and so start after them)."""

from __future__ import annotations

NOTEBOOKS = ("00_start_here", "01_features", "02_model", "03_early_stopping", "04_batch_size_cv",
             "05_neurons_cv", "06_shap", "07_honest_evaluation", "08_claims",
             "09_learning_curve_ablation", "10_ten_genres")
"""The report's notebooks, in the order they are numbered: 00–06 the course, 07–10 the review."""

GLOSSARY = "glossary"
"""The course's glossary, ``notebooks/glossary.ipynb``: text only, rendered beside the notebooks."""

READS_OTHERS = {"08_claims": ("02_model", "03_early_stopping", "04_batch_size_cv", "05_neurons_cv",
                              "06_shap", "07_honest_evaluation"),
                "09_learning_curve_ablation": ("06_shap", "07_honest_evaluation")}
"""Notebooks that read the results of others: 08 weighs the study's claims against 02–07;
09 fixes the settings 07 chose and sets its ablation beside 06's SHAP values. Each starts
once those have run."""

COURSE = NOTEBOOKS[:NOTEBOOKS.index("06_shap") + 1]
"""The course, 00–06, for a newcomer; the notebooks after it are the review."""


def start_order(names=NOTEBOOKS) -> list[str]:
    """The order in which notebooks start: those that several others read first (their readers
    wait on them), then the review's before the course's (they cross-validate many models with
    repeats and take longest, so the short course notebooks fill the other lane beside them),
    the readers last, otherwise by number."""
    readers = {name: sum(name in read for read in READS_OTHERS.values()) for name in names}
    awaited = {name: readers[name] >= 2 for name in names}
    return sorted(names, key=lambda name: (name in READS_OTHERS, not awaited[name],
                                           not awaited[name] and name in COURSE, NOTEBOOKS.index(name)))
