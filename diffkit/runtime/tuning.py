"""Runtime tuning of one stage — malloc, thread choice, load watch — applied when it starts, restored when it ends.

``import diffkit`` changes nothing in the process. A stage (the recipe runner's, :func:`diffkit.training.train`,
:func:`diffkit.generation.generate_clips`) runs inside :func:`stage_runtime`: malloc keeps freed memory
(:mod:`diffkit.runtime.allocator`), the stage chooses its thread count once
(:func:`diffkit.runtime.threads.stage_scope`) and the load watch follows the free cores while it runs; at the end
the thread count, the malloc settings and the watch are put back as they were. Nested stages (``train`` inside
the recipe's train stage) share the outer one.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from diffkit.runtime import allocator, load_watch
from diffkit.runtime.threads import stage_scope

_active: contextvars.ContextVar[bool] = contextvars.ContextVar("diffkit_stage_runtime", default=False)


@contextlib.contextmanager
def stage_runtime() -> Iterator[None]:
    """Tune the runtime for the stage in the block and restore it afterwards (a no-op inside another stage)."""
    if _active.get():
        yield
        return
    import torch

    threads = torch.get_num_threads()
    token = _active.set(True)
    allocator.keep_freed_memory()
    try:
        with stage_scope():
            yield
    finally:
        load_watch.watch(None)
        torch.set_num_threads(threads)
        allocator.restore_malloc()
        _active.reset(token)
