"""Customer-service answers (FAQ matching with hand-off, item questions) and the shopping assistant.

>>> from shopmind.assist import FaqEntry, FaqMatcher
>>> faq = [FaqEntry("ship", "en", "How much is shipping?", "Free over ¥99.")]
>>> FaqMatcher(faq).answer("how much is shipping").faq_id
'ship'
"""

from shopmind.assist.chat import ShoppingAssistant
from shopmind.assist.faq import FaqAnswer, FaqEntry, FaqMatcher, read_faq
from shopmind.assist.service import AssistService

__all__ = ["AssistService", "FaqAnswer", "FaqEntry", "FaqMatcher", "ShoppingAssistant", "read_faq"]
