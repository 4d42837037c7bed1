"""How diffkit uses the CPU: the OpenMP wait policy and the intra-op thread count of each stage.

- :mod:`diffkit.runtime.openmp` decides whether OpenMP workers spin or sleep while they wait; it must run before
  ``import torch`` and therefore imports nothing heavy (only the ``diffkit`` command calls it:
  :mod:`diffkit.cli.launch`).
- :mod:`diffkit.runtime.tuning` applies a stage's runtime tuning (malloc, threads, load watch) and restores it.
- :mod:`diffkit.runtime.load_watch` lowers a running stage's automatic thread count while other processes take
  cores, and raises it when they leave (ticked by the stage's loop: a trainer callback, the sampling progress).
- :mod:`diffkit.runtime.allocator` makes glibc's malloc keep freed memory for reuse (large tensors are otherwise
  unmapped and page-faulted back in on every forward pass).
- :mod:`diffkit.runtime.estimate` says how long a stage will take, and checks it when the stage ends.
- :mod:`diffkit.runtime.machine` reads the facts: usable cores, how busy they are, what the user set.
- :mod:`diffkit.runtime.calibrate` times a stage's own unit of work at candidate thread counts.
- :mod:`diffkit.runtime.threads` decides the thread count from those facts and timings (pure), and applies it.
- :mod:`diffkit.runtime.work` builds the unit of work of training, sampling and evaluation.

See docs/threads.md. This package's ``__init__`` stays import-free on purpose: importing
``diffkit.runtime.openmp`` must not load torch.
"""
