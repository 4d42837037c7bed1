"""diffkit-template: a minimal diffkit plugin (a ``soft-clip`` thresholding and an ``euler-maruyama`` sampler) to
copy and rename."""

from diffkit_template.euler_maruyama import EulerMaruyama
from diffkit_template.soft_clip import SoftClip, SoftClipConfig

__version__ = "0.1.0"

__all__ = ["EulerMaruyama", "SoftClip", "SoftClipConfig", "__version__"]
