"""diffkit-tags: a ``multi-hot`` conditioner for examples described by several tags at once."""

from diffkit_tags.multi_hot import MultiHotConditioner, MultiHotConfig
from diffkit_tags.vocabulary import TagVocabulary

__version__ = "0.1.0"

__all__ = ["MultiHotConditioner", "MultiHotConfig", "TagVocabulary", "__version__"]
