"""Schematic drawings for the course's concept primers (notebooks 00–04).

Each function draws one idea on labelled axes and returns the figure, which the notebooks
write with :func:`gtzan_helpers.plots.show_figure`. None reads a data file, and none draws
random numbers but from its own seeded generator.

``sound``     samples, tones, frames, spectrograms and segments (notebook 00)
``features``  the mel scale, MFCCs, chroma, the spectral shape, tempo, a curve's mean and
              variance, drawn from :func:`gtzan_helpers.features.segment_curves`, and a
              whole clip's overview (notebook 01)
``network``   the activations, and where songs and artists land under each protocol (notebook 02)
``folds``     the folds of a cross-validation, shuffled or grouped by song (notebook 04)
"""

from .features import (MFCC_RANGE, plot_chroma, plot_clip_overview, plot_mean_variance, plot_mel_scale,
                       plot_mfcc_envelope, plot_spectral_shape, plot_tempo, plot_zcr_rms_frame)
from .folds import fold_blocks, plot_folds
from .network import on_both_sides, plot_activations, plot_protocols, protocol_assignment
from .sound import (frame_starts, plot_frames, plot_segments, plot_spectrograms, plot_tones,
                    plot_waveform_zoom, waveform_envelope)

__all__ = ["MFCC_RANGE", "fold_blocks", "frame_starts", "on_both_sides", "plot_activations",
           "plot_chroma", "plot_clip_overview", "plot_folds", "plot_frames", "plot_mean_variance",
           "plot_mel_scale", "plot_mfcc_envelope", "plot_protocols", "plot_segments", "plot_spectral_shape",
           "plot_spectrograms", "plot_tempo", "plot_tones", "plot_waveform_zoom", "plot_zcr_rms_frame",
           "protocol_assignment", "waveform_envelope"]
