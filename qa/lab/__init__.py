"""Measuring and training: evaluation runners, SQuAD, benchmarks, the synthetic archive, ranker training."""
