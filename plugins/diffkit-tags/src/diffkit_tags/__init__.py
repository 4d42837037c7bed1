"""diffkit-tags: ``multi-hot`` (several tags per clip) and ``text`` (hashed words and n-grams) conditioners."""

from diffkit_tags.multi_hot import MultiHotConditioner, MultiHotConfig, collect_tags
from diffkit_tags.text import TextConditioner, TextConfig
from diffkit_tags.vocabulary import TagVocabulary

__version__ = "0.1.0"

__all__ = [
    "MultiHotConditioner",
    "MultiHotConfig",
    "TagVocabulary",
    "TextConditioner",
    "TextConfig",
    "__version__",
    "collect_tags",
]
