"""Grounded marketing copy in Chinese and English: descriptions, selling points, personalised headlines and
reasons, ad copy, e-mail and push messages, review summaries - with every factual claim checked against
the item data, and a compliance filter for terms advertising law forbids.

>>> from shopmind.content import ContentService
>>> svc = ContentService()
>>> out = svc.describe({"item_id": "t1", "title": "Tea Garden Jasmine Tea - 250 g", "brand": "Tea Garden",
...                     "attributes": {"weight": "250 g", "weight_zh": "250克"}}, lang="zh")
>>> out.check.ok, out.backend
(True, 'template')

Modules: :mod:`.facts` (fact sheets), :mod:`.lexicon` (bilingual vocabulary), :mod:`.claims` and
:mod:`.grounding` (claim extraction and checking, verdicts supported / contradicted / unsupported), :mod:`.specs`
(versions, resolutions, named sizes, service terms), :mod:`.units` (numbers and units), :mod:`.audit` (batch
audit of existing copy), :mod:`.compliance`, :mod:`.request` (requests and
outputs), :mod:`.templates` and :mod:`.slots` (template files and their slots), :mod:`.backends`
(the generator contract and the template backend), :mod:`.prompt_book` (prompt files of the chat-model
backends), :mod:`.llm` (their base class), :mod:`.openai_compat` (OpenAI-compatible HTTP endpoints),
:mod:`.llamacpp` and :mod:`.gguf` (local GGUF models from installed packages), :mod:`.registry` (backends by
name), :mod:`.reviews`, :mod:`.cache`, :mod:`.service`, :mod:`.slate` (histories and simple slates from the
store). The content benchmark (``shopmind content bench``) is :mod:`shopmind.evaluation.content`.
"""

from shopmind.content.backends import GenerationError, Generator, TemplateGenerator
from shopmind.content.cache import ContentCache, MemoryCache, cache_key
from shopmind.content.claims import Claim, ClaimExtractor
from shopmind.content.compliance import ComplianceFilter, ComplianceResult, ComplianceTerm, Violation
from shopmind.content.facts import FactSheet, Localised, extract_facts, format_discount, format_price
from shopmind.content.gguf import locate_gguf
from shopmind.content.grounding import GroundingChecker, GroundingReport
from shopmind.content.llamacpp import LlamaCppGenerator
from shopmind.content.llm import LLMGenerator, Usage
from shopmind.content.openai_compat import OpenAICompatibleGenerator
from shopmind.content.prompt_book import PromptBook
from shopmind.content.registry import make_generator
from shopmind.content.request import (
    Attempt,
    ContentRequest,
    ContentType,
    GeneratedText,
    HistoryEntry,
    Length,
    Review,
    Tone,
    UserContext,
)
from shopmind.content.service import BatchSummary, ContentService
from shopmind.content.templates import TemplateBook

__all__ = [
    "Attempt",
    "BatchSummary",
    "Claim",
    "ClaimExtractor",
    "ComplianceFilter",
    "ComplianceResult",
    "ComplianceTerm",
    "ContentCache",
    "ContentRequest",
    "ContentService",
    "ContentType",
    "FactSheet",
    "GeneratedText",
    "GenerationError",
    "Generator",
    "GroundingChecker",
    "GroundingReport",
    "HistoryEntry",
    "LLMGenerator",
    "Length",
    "LlamaCppGenerator",
    "Localised",
    "MemoryCache",
    "OpenAICompatibleGenerator",
    "PromptBook",
    "Review",
    "TemplateBook",
    "TemplateGenerator",
    "Tone",
    "Usage",
    "UserContext",
    "Violation",
    "cache_key",
    "extract_facts",
    "format_discount",
    "format_price",
    "locate_gguf",
    "make_generator",
]
