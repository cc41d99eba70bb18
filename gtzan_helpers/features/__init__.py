"""From audio to the table's 57 features (notebook ``01_features``; ``06_shap`` and the CLI).

``audio``     loading any common audio file as 22 050 Hz mono
``segment``   the segment recipe: the curves and 57 features of one 3-second segment, and of a clip's segments
``hpss``      harmonic/percussive separation on an exact running median
``extract``   batch extraction of files and folders, cached by content, in parallel
``catalogue`` the 57 features in words: family, statistic and what each measures
"""

from .audio import AUDIO_EXTENSIONS, AudioError, find_audio_files, load_audio, locate_excerpt
from .catalogue import feature_catalogue
from .extract import extract_file, extract_files, file_features, write_table
from .segment import (FEATURE_GROUPS, FEATURE_NAMES, HOP_LENGTH, N_FFT, N_MFCC, SEGMENT_LENGTH,
                      SEGMENT_STRIDE, SR, WHOLE_CLIP_LENGTH, compute_clip_features, compute_segment_features,
                      compute_segment_features_plain, segment_bounds, segment_curves,
                      whole_clip_bounds)

__all__ = ["AUDIO_EXTENSIONS", "AudioError", "FEATURE_GROUPS", "FEATURE_NAMES", "HOP_LENGTH",
           "N_FFT", "N_MFCC", "SEGMENT_LENGTH", "SEGMENT_STRIDE", "SR", "compute_clip_features",
           "compute_segment_features", "compute_segment_features_plain", "extract_file",
           "extract_files", "feature_catalogue", "file_features", "find_audio_files", "load_audio",
           "locate_excerpt", "segment_bounds", "segment_curves", "whole_clip_bounds", "WHOLE_CLIP_LENGTH", "write_table"]
