"""The content service over the small demo catalog of :mod:`fixtures.content`."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.content import ContentService, GroundingChecker


@pytest.fixture()
def service(checker: GroundingChecker, now: pd.Timestamp) -> ContentService:
    return ContentService(checker=checker, now=now.to_pydatetime())
