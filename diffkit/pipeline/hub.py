"""Where a model named on the command line or in ``from_pretrained`` lives: a file, a folder, or a hub repository.

A hub repository id (``org/name``) resolves through ``huggingface_hub``'s cache (optional extra ``diffkit[hub]``):
``snapshot_download`` fetches it once, and with ``HF_HUB_OFFLINE=1`` a populated cache is used without any
network access. Nothing here downloads when the id is a local path.
"""

from __future__ import annotations

import re
from pathlib import Path

from diffkit.errors import CheckpointError

#: ``org/name`` as the Hugging Face Hub spells repository ids.
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
#: Files a diffkit model folder needs; example clips are left in the repository.
ALLOW_PATTERNS = ["*.safetensors", "*.json", "*.md", "*.yaml"]


def model_folder(source: str | Path, revision: str | None = None) -> Path:
    """The local folder of ``source``: an existing folder, else a hub repository id resolved through the cache.

    CheckpointError says what was tried (and how to install ``huggingface_hub``) when neither works.
    """
    path = Path(source)
    if path.is_dir():
        return path
    if path.exists():
        raise CheckpointError(f"{path}: a file, not a model folder; load a weight file with Pipeline.load")
    text = str(source)
    if not REPO_ID.match(text):
        raise CheckpointError(f"{text}: no such model folder or file here, and not a hub repository id (org/name)")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise CheckpointError(
            f"{text}: no such folder here; to resolve it as a Hugging Face Hub repository install the `hub` extra: "
            "pip install 'diffkit[hub]'"
        ) from None
    try:
        return Path(snapshot_download(repo_id=text, revision=revision, allow_patterns=ALLOW_PATTERNS))
    except Exception as error:  # huggingface_hub raises many types: offline, not cached, not found, HTTP
        raise CheckpointError(
            f"{text}: not a folder here, and the Hugging Face Hub repository could not be resolved "
            f"({type(error).__name__}: {error}). Offline (HF_HUB_OFFLINE=1) only repositories already in the cache "
            "(HF_HUB_CACHE) load"
        ) from None
