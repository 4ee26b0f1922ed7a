"""The reader: from a question and passages to a direct, cited answer or a refusal.

question.py (analysis) -> units.py (sentences/rows) -> features.py + scorer.py (learned sentence
scores) -> spans.py (the short answer) -> strategies.py (tried in order) -> compose.py (text and
citations); refusal.py holds the refusal rules, messages.py their wording."""

from .messages import refusal_text
from .question import Analysis, analyse
from .reader import Reader, Reading
from .strategies import STRATEGIES, Candidate, Evidence, Tools

__all__ = ["Analysis", "Candidate", "Evidence", "Reader", "Reading", "STRATEGIES", "Tools", "analyse",
           "refusal_text"]
