"""diffkit-template: a minimal diffkit plugin (a ``soft-clip`` thresholding) to copy and rename."""

from diffkit_template.soft_clip import SoftClip, SoftClipConfig

__version__ = "0.1.0"

__all__ = ["SoftClip", "SoftClipConfig", "__version__"]
