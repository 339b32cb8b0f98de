"""Product search: analysis, a lexical (BM25F) and a dense index, fusion, query parsing, suggestions.

>>> from shopmind.search import SearchEngine, SearchRequest
>>> engine = SearchEngine.from_items(items)            # doctest: +SKIP
>>> engine.search(SearchRequest(q="女士双肩包 300元以下")).item_ids[:3]        # doctest: +SKIP

Modules: :mod:`.analysis` (normal form, jieba, stems, pinyin), :mod:`.constraints` (prices in a query),
:mod:`.synonyms`, :mod:`.vocabulary` (pinyin keys, typo candidates), :mod:`.query` (clauses),
:mod:`.lexical` (incremental BM25F), :mod:`.dense`, :mod:`.fusion` (RRF), :mod:`.documents` (what is
searched), :mod:`.facets`, :mod:`.results`, :mod:`.request`, :mod:`.engine`, :mod:`.suggest`,
:mod:`.service` (store, pipeline, events, personalisation), :mod:`.evaluate`, :mod:`.peers`, :mod:`.speed`.
"""

from shopmind.search.engine import SearchEngine
from shopmind.search.request import SearchRequest
from shopmind.search.results import SearchHit, SearchResult
from shopmind.search.service import SearchService

__all__ = ["SearchEngine", "SearchHit", "SearchRequest", "SearchResult", "SearchService"]
