"""Training what Sourced learns (`qa train`): the reader, the ranker, the recency weights.

Takes training data (SQuAD-format files, the engine's own retrieval dumps) and gives the weights the stages load.
"""
