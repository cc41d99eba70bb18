"""Schematic drawings for the course's concept primers.

Each function draws one idea (frames of a signal, the folds of a cross-validation, the
three protocols…) on labelled axes and returns the figure, which the notebooks write with
:func:`gtzan_helpers.plots.show_figure`. They read no data files and draw no random numbers,
unless given a seed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
