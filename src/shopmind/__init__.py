"""shopmind: a pretrained-model brain for online shops.

Ingest catalog, users and behaviour events; learn recommenders; evaluate them under a strict
leave-one-out full-ranking protocol; serve and explain recommendations - offline, on a CPU.
"""

__version__ = "0.1.0"
