"""Evidence: takes a question (and its vector) over the search index, gives ranked candidate sentences
with features and scores, the answer-or-abstain decision, and citations checked at their offsets."""
