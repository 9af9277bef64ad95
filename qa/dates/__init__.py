"""Time: takes a question and `as_of`, or an article's sentence and its publication date; gives the question's
window of publication dates (or its wish for recent news), and the sentence's relative dates resolved."""

from qa.dates.mentions import Mention, annotate, resolve_mentions
from qa.dates.question import TimeIntent, read_time

__all__ = ["Mention", "TimeIntent", "annotate", "read_time", "resolve_mentions"]
