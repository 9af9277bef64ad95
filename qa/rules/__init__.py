"""Answer rules: takes what the stages measured (scores, spans, missing terms, dates), gives the decisions to
answer, quote or abstain and what the reply says about time (`qa.rules.decisions`, a table of every rule)."""
