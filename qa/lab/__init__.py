"""Measuring and training: takes question files, SQuAD and synthetic archives, gives `qa eval` scores,
`qa bench` figures and the ranker's weights (`qa train`). Nothing in the answering path imports it."""
