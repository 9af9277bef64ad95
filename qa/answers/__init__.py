"""Answers: takes the question, the conversation and the ranked evidence, gives the reply text with
citation keys (extractive, or written by an LLM and checked sentence by sentence)."""
