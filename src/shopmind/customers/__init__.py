"""Customer understanding: profiles, segments, RFM, lifetime value and churn, computed from the store by a job
(:func:`refresh`) and read by the API, the CLI and the campaign engine.

Modules, in the order the data flows:

- :mod:`.config`: :class:`CustomerSettings`, every knob (built at the edge, passed down);
- :mod:`.activity`: the store's events and catalog cleaned, with one treatment per kind of bad input;
- :mod:`.profiles`: per-user facts, lifecycle stages and decayed interest tags;
- :mod:`.rfm`: RFM scores and the named groups;
- :mod:`.clv`: BG/NBD and Gamma-Gamma (reproducing Fader, Hardie & Lee on CDNOW);
- :mod:`.churn`: churn features cut at a cutoff, the boosted classifier and the temporal evaluation;
- :mod:`.segments`: k-means and LDA segments, and how a segment differs from the shop (lift);
- :mod:`.audience`: the audience expression language;
- :mod:`.summary`: the English / Chinese profile summary;
- :mod:`.refresh`: the full and incremental refresh job;
- :mod:`.sources`: the data the CLV and churn commands read (the store, CDNOW, files).
"""

from shopmind.customers.audience import AudienceError, parse, select
from shopmind.customers.clv import BetaGeoModel, GammaGammaModel, fit_clv, summarise
from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import RefreshReport, explain_churn, refresh, with_summary

__all__ = ["AudienceError", "BetaGeoModel", "CustomerSettings", "GammaGammaModel", "RefreshReport", "explain_churn",
           "fit_clv", "parse", "refresh", "select", "summarise", "with_summary"]
