"""Evaluation (`qa eval`): takes a question file (our JSONL, dated archives' questions) or SQuAD JSON, asks
every question through the engine, gives the metrics, a report and per-question results."""
