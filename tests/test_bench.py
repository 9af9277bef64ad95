"""`python -m lab bench --quick` runs end to end and reports every documented key (no timing thresholds)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lab.__main__ import lab as main
from tests.conftest import SQUAD

pytestmark = pytest.mark.real


def test_quick_bench_reports_every_key():
    got = CliRunner().invoke(main, ["bench", "--quick", "--sizes", "60,120", "--json", "--squad", str(SQUAD)])
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    assert data["ingest_ratio"] > 0
    assert set(data["query_ms"]) == {"60", "120"}
    for figures in data["query_ms"].values():
        assert figures["p95"] >= figures["p50"] > 0
    assert data["cold_start_s"] > 0 and data["peak_rss_mb"] > 0
    base = data["baseline"]
    for key in ("article_hit@1", "article_hit@5", "answer_in_first_citation", "latency_ms"):
        assert key in base and key in data["ours"]
    assert base["n_questions"] == data["ours"]["n_questions"] > 0
    assert data["ingest"]["raw_encoder"]["sentences_per_s"] > 0 and data["ingest"]["ours"]["tokens_per_s"] > 0


def test_bench_rejects_bad_sizes():
    got = CliRunner().invoke(main, ["bench", "--sizes", "ten"])
    assert got.exit_code != 0 and "--sizes" in got.output


def test_scale_bench_times_real_processes_and_a_commit_reaches_the_running_server(tmp_path):
    """`python -m lab bench --scale` on a tiny index: a real `qa ask`, a real `qa serve`, a commit by another process."""
    got = CliRunner().invoke(main, ["bench", "--scale", "--sentences", "1500", "--runs", "1",
                                    "--scale-index", str(tmp_path / "ix"), "--json"])
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    assert data["built"]["articles"] == data["articles"] >= 10 and data["sentences"] > data["built"]["sentences"]
    assert data["cold_start_s"]["cli"] > 0 and data["cold_start_s"]["serve"] > 0
    assert data["peak_rss_mb"]["cli"] > 100 and data["peak_rss_mb"]["serve"] > 100
    assert data["query_ms"]["p95"] >= data["query_ms"]["p50"] > 0 and data["query_ms"]["n"] == 100
    assert data["refresh_s"] > 0  # the new articles were cited by the server that was already running
