"""Evaluation stage: embed folders (cached per file), compute metrics, write Table-1-shaped reports.

Entry points: :func:`evaluate_folders` (the recipe stage and ``diffkit evaluate`` call it) and
:func:`train_classifier_from_folders` (the logit-score classifier; ``diffkit evaluate train-classifier``).
"""

from diffkit.evaluation.classifier_training import train_classifier_from_folders
from diffkit.evaluation.evaluate import System, evaluate_folders
from diffkit.evaluation.files import AudioFile, list_audio_files

__all__ = ["AudioFile", "System", "evaluate_folders", "list_audio_files", "train_classifier_from_folders"]
