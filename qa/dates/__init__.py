"""Time: takes a question and `as_of`, or an article's sentence and its publication date;
gives the question's window of publication dates or wish for recent news, and the sentence's relative dates resolved."""

from qa.dates.question import TimeIntent, read_time

__all__ = ["TimeIntent", "read_time"]
