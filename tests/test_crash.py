"""Crash safety and concurrent writers, with the real CLI, the real model and the real on-disk Chroma.

`qa ingest` is SIGKILLed at random moments many times; after every kill the index must show each
article whole (the old version or the new one, every sentence and chunk, every offset right) or not
at all, and a re-run must complete it. Processes come from `tests/forkserver.py`, which pays the heavy
imports once and forks a fresh `qa` per run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from index.loaders import article_id_for, content_hash
from tests.test_chroma_server import chroma_url  # noqa: F401  (a fixture: a real `chroma run`)

ROOT = Path(__file__).resolve().parent.parent
QA_BIN = Path(sys.executable).parent / "qa"
KILLS = 15
KILLS_SERVER = 6
N_ARTICLES = 14

pytestmark = [pytest.mark.real, pytest.mark.timeout(300)]

PEOPLE = ["Mayor Alvarez", "Dr. Okafor", "Gen. Lindqvist", "Sen. Moreau", "the U.S. envoy", "Prof. Tanaka"]
PLACES = ["Springfield", "Niamey", "Tromsø", "Valparaíso", "Da Nang", "Kraków", "Agadez"]
VERBS = ["announced", "rejected", "approved", "questioned", "delayed", "funded"]
THINGS = ["a new bridge", "the water plan", "a rail link", "the school budget", "a flood barrier", "the port deal"]
DAYS = ["Monday", "Tuesday", "Jan. 4", "Friday", "Sept. 12", "the weekend"]
FACT = (
    "Harbor budget approved\n\nThe Harbor Council approved a budget of 42 million dollars for the Lindqvist "
    "Bridge on Tuesday. Work starts in March. The council said the old crossing had been closed since 2019."
)


def article_text(rng: random.Random, topic: int, version: int) -> str:
    """A small news story with abbreviations, numbers, accents and paragraphs."""
    lines = [f"Story {topic} (version {version}): {rng.choice(THINGS)} in {rng.choice(PLACES)}"]
    paragraph: list[str] = []
    for i in range(rng.randint(5, 10)):
        paragraph.append(
            f"{rng.choice(PEOPLE)} {rng.choice(VERBS)} {rng.choice(THINGS)} in {rng.choice(PLACES)} on "
            f"{rng.choice(DAYS)}, citing {rng.randint(2, 9999):,} residents and a {rng.randint(1, 99)}% rise."
        )
        if i % 4 == 3:
            lines.append(" ".join(paragraph))
            paragraph = []
    lines.append(" ".join(paragraph) or "The end.")
    return "\n\n".join(lines)


class ForkServer:
    """Client of tests/forkserver.py."""

    def __init__(self, logs: Path) -> None:
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        self.logs = logs
        self.n = 0
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "forkserver.py")], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        assert "ready" in self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork server died")
        return json.loads(line)

    def _call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def start(self, *argv: str | Path, beacon: Path | None = None) -> tuple[int, Path]:
        """Start `qa argv` in a fresh process; return its pid and log file."""
        self.n += 1
        log = self.logs / f"run{self.n}.log"
        command = {"cli": [str(a) for a in argv], "log": str(log), "beacon": str(beacon) if beacon else None}
        return int(self._call(command)["pid"]), log

    def reap(self, pid: int) -> dict[str, Any]:
        return self._call({"reap": pid})

    def run(self, *argv: str | Path) -> tuple[int, str]:
        pid, log = self.start(*argv)
        status = self.reap(pid)
        return status["status"], log.read_text()

    def verify(self, index: Path, question: str | None = None, chroma: str | None = None) -> dict[str, Any]:
        self.n += 1
        out = self.logs / f"verify{self.n}.json"
        command = {"verify": str(index), "out": str(out), "question": question, "chroma": chroma}
        pid = int(self._call(command)["pid"])
        assert self.reap(pid)["status"] == 0, f"verification crashed: {Path(str(out) + '.log').read_text()[-3000:]}"
        return json.loads(out.read_text())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def forks(tmp_path_factory: pytest.TempPathFactory):
    server = ForkServer(tmp_path_factory.mktemp("logs"))
    yield server
    server.close()


def _assert_whole(report: dict[str, Any], versions: dict[str, set[str]]) -> None:
    """What readers see is whole and true: nothing half-visible, every offset right."""
    assert report["visible_problems"] == []
    assert report["incomplete"] == []
    assert report["hash_mismatch"] == []
    assert report["bad_offsets"] == 0
    for aid, version in report["articles"].items():
        assert version in versions[aid], f"article {aid} holds text that was never written"
    assert report["sentences_in_chroma"] >= report["sentences_visible"]


def _wait_for_bytes(beacon: Path, n: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (not beacon.exists() or beacon.stat().st_size < n):
        time.sleep(0.002)


@pytest.mark.parametrize("mode,kills", [("embedded", KILLS), ("chroma-server", KILLS_SERVER)])
def test_sigkill_at_random_moments_never_leaves_a_half_visible_article(forks: ForkServer, tmp_path: Path,
                                                                       request: pytest.FixtureRequest,
                                                                       mode: str, kills: int):
    rng = random.Random(20261124)
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    chroma = request.getfixturevalue("chroma_url") if mode == "chroma-server" else None
    where: list[str | Path] = ["--chroma-url", chroma] if chroma else ["--index", index]
    versions: dict[str, set[str]] = {}
    current: dict[str, str] = {}

    def write(name: str, text: str) -> None:
        path = docs / name
        path.write_text(text, encoding="utf-8")
        aid = article_id_for(os.path.abspath(path))
        current[aid] = content_hash(text)
        versions.setdefault(aid, set()).add(current[aid])

    write("fact.txt", FACT)
    for topic in range(N_ARTICLES):
        write(f"story {topic:02d} – ünïcode.txt", article_text(rng, topic, 0))

    # Calibrate on this machine: a full ingest, then one with a single changed article (start-up and
    # model load), so the kills below spread over the whole run, writes included.
    t0 = time.monotonic()
    status, out = forks.run("ingest", "--quiet", *where, docs)
    full_s = time.monotonic() - t0
    assert status == 0, out
    write("story 00 – ünïcode.txt", article_text(rng, 0, 1))
    t0 = time.monotonic()
    status, out = forks.run("ingest", "--quiet", *where, docs)
    one_s = time.monotonic() - t0
    assert status == 0 and "1 replaced" in out, out
    per_article_s = max(full_s - one_s, 0.1) / N_ARTICLES

    landed = committed = mid_write = 0
    before = forks.verify(index, chroma=chroma)
    for round_ in range(1, kills + 1):
        for topic in rng.sample(range(N_ARTICLES), 4):
            write(f"story {topic:02d} – ünïcode.txt", article_text(rng, topic, round_))
        write(f"new {round_:02d}.txt", article_text(rng, 100 + round_, 0))
        stale = sum(1 for aid, h in current.items() if before["articles"].get(aid) != h)
        beacon = tmp_path / f"beacon{round_}"
        pid, log = forks.start("ingest", "--quiet", *where, docs, beacon=beacon)
        expected_s = one_s + per_article_s * stale
        if round_ % 2:  # anywhere in the run: start-up, model load, embedding, writing
            time.sleep(rng.uniform(0.3 * one_s, 0.7 * expected_s))
        else:  # inside the writes: once the k-th article write has begun, within 0-80 ms
            _wait_for_bytes(beacon, rng.randint(1, max(1, stale - 2)), 3 * expected_s)
            time.sleep(rng.uniform(0.0, 0.08))
        os.kill(pid, signal.SIGKILL)
        reaped = forks.reap(pid)
        report = forks.verify(index, chroma=chroma)
        _assert_whole(report, versions)
        leftovers = report["sentences_in_chroma"] + report["chunks_in_chroma"] \
            - report["sentences_visible"] - report["chunks_visible"]
        old_leftovers = before["sentences_in_chroma"] + before["chunks_in_chroma"] \
            - before["sentences_visible"] - before["chunks_visible"]
        killed = reaped["signal"] == signal.SIGKILL
        landed += killed
        committed += killed and report["articles"] != before["articles"]
        mid_write += killed and (leftovers > old_leftovers or bool(report["pending"]))
        up_to_date = sum(1 for aid, h in report["articles"].items() if current[aid] == h)
        print(f"kill {round_:2d}: {'SIGKILL' if killed else 'finished first'}; {stale} stale before, "
              f"{up_to_date}/{len(current)} current after; leftovers {old_leftovers}->{leftovers}; "
              f"pending={bool(report['pending'])}")
        before = report

    # Re-running completes the interrupted work.
    status, out = forks.run("ingest", "--quiet", *where, docs)
    assert status == 0, out
    report = forks.verify(index, question="What budget did the Harbor Council approve for the Lindqvist Bridge?",
                          chroma=chroma)
    _assert_whole(report, versions)
    assert report["articles"] == current
    assert report["pending"] == ""
    assert report["citations"] >= 1 and report["bad_citations"] == 0

    # `qa check` (the installed command) names leftovers as notes and exits 0; `--repair` deletes them.
    checked = subprocess.run([QA_BIN, "check", "--json", *where], capture_output=True, text=True, timeout=120)
    result = json.loads(checked.stdout)
    assert checked.returncode == 0 and result["ok"], checked.stderr
    assert all(not p["visible"] and p["severity"] == "note" for p in result["problems"])
    assert len(result["problems"]) == len(report["leftover_problems"])
    status, out = forks.run("check", "--repair", "--json", *where)
    assert status == 0 and json.loads(out)["ok"], out
    status, out = forks.run("check", *where)
    assert status == 0 and out.startswith("ok:"), out
    final = forks.verify(index, chroma=chroma)
    assert final["leftover_problems"] == [] and final["sentences_in_chroma"] == final["sentences_visible"]
    assert final["articles"] == current

    print(f"\ncrash test ({mode}): {landed} of {kills} SIGKILLs landed during `qa ingest`: {committed} after at least one "
          f"commit, {mid_write} in the middle of writing an article; 0 half-visible articles, 0 bad offsets; "
          f"a re-run completed all {len(current)} articles; `qa check --repair` then cleared the leftovers "
          f"(full ingest {full_s:.1f}s, one-article ingest {one_s:.1f}s)")
    assert landed >= kills // 2
    assert committed >= 1 and mid_write >= 1


# Runs `qa ARGV...` in a fresh interpreter that SIGKILLs itself when the CALL-th call of the store method
# METHOD begins ("before") or has returned ("after"): a kill at an exact point of the write, every time.
KILL_AT = """
import os, signal, sys
from index.store import Store
method, when, call = sys.argv[1], sys.argv[2], int(sys.argv[3])
real, calls = getattr(Store, method), [0]
def dying(self, *args, **kwargs):
    calls[0] += 1
    if calls[0] == call and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    out = real(self, *args, **kwargs)
    if calls[0] == call and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return out
setattr(Store, method, dying)
from qa.shells.cli import main
main(sys.argv[4:], prog_name="qa")
"""


@pytest.mark.timeout(900)
@pytest.mark.parametrize("method, when, call, leaves", [
    ("put_many", "before", 1, False),  # before its first write
    ("_upsert", "after", 1, True),  # between the sentence writes and the commit (no chunk written yet)
    ("_upsert", "after", 2, True),  # sentences and chunks written, just before the commit
    ("_delete_parts", "before", 1, True),  # after the commit, the replaced version's parts not yet deleted
    ("put_many", "after", 1, False),  # after the batch is whole, while the derived indexes are brought up to date
])
def test_qa_check_exits_0_after_a_kill_at_each_point_of_a_write(forks: ForkServer, tmp_path: Path, method: str,
                                                                when: str, call: int, leaves: bool):
    """A crash's leftovers are a note, not a problem: a monitoring script running `qa check` after a restart
    sees exit 0; the next ingest deletes them."""
    rng = random.Random(20261207)
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "fact.txt").write_text(FACT, encoding="utf-8")
    for topic in range(3):
        (docs / f"story {topic}.txt").write_text(article_text(rng, topic, 0), encoding="utf-8")
    status, out = forks.run("ingest", "--quiet", "--index", index, docs)
    assert status == 0, out
    (docs / "story 1.txt").write_text(article_text(rng, 1, 1), encoding="utf-8")  # a replacement
    (docs / "new.txt").write_text(article_text(rng, 9, 0), encoding="utf-8")  # and a new article

    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    killed = subprocess.run([sys.executable, "-c", KILL_AT, method, when, str(call), "ingest", "--quiet", "--index",
                             str(index), str(docs)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]

    report = forks.verify(index)
    assert report["visible_problems"] == [] and report["incomplete"] == [] and report["bad_offsets"] == 0
    leftovers = report["sentences_in_chroma"] - report["sentences_visible"] \
        + report["chunks_in_chroma"] - report["chunks_visible"]
    assert (leftovers > 0) == leaves, report
    status, out = forks.run("check", "--index", index)
    assert status == 0, out
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    assert "problem:" not in out
    if leaves:
        assert notes and all("belong to no committed article (an interrupted write; invisible to readers" in n
                             for n in notes), out
        assert "ok: " in out and "the notes above need no action" in out
    else:
        assert notes == [] and out.startswith("ok: "), out
    status, out = forks.run("check", "--json", "--index", index)
    assert status == 0 and json.loads(out)["ok"] is True

    status, out = forks.run("ingest", "--quiet", "--index", index, docs)  # the next writer
    assert status == 0, out
    after = forks.verify(index)
    assert after["sentences_in_chroma"] == after["sentences_visible"] and after["pending"] == ""
    assert after["chunks_in_chroma"] == after["chunks_visible"] and len(after["articles"]) == 5
    status, out = forks.run("check", "--index", index)
    assert status == 0 and out.startswith("ok: 5 articles") and "note:" not in out, out


# --- two writers ----------------------------------------------------------------------------------------


def _docs(folder: Path, prefix: str, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    folder.mkdir()
    for i in range(n):
        (folder / f"{prefix}{i}.txt").write_text(article_text(rng, seed * 100 + i, 0), encoding="utf-8")
    return folder


def test_second_writer_waits_for_the_first(forks: ForkServer, tmp_path: Path):
    from index.lock import writer_lock

    docs, index = _docs(tmp_path / "docs", "a", 3, 1), tmp_path / "index"
    with writer_lock(index):  # another writer holds the index
        t0 = time.monotonic()
        pid, log = forks.start("ingest", "--quiet", "--index", index, docs)
        time.sleep(4.0)
        assert "added" not in log.read_text()  # still waiting
    status = forks.reap(pid)["status"]
    assert status == 0 and "3 added" in log.read_text(), log.read_text()
    assert time.monotonic() - t0 >= 4.0


def test_second_writer_refuses_with_a_clear_message(forks: ForkServer, tmp_path: Path):
    from index.lock import writer_lock

    docs, index = _docs(tmp_path / "docs", "a", 2, 2), tmp_path / "index"
    with writer_lock(index):
        status, out = forks.run("ingest", "--quiet", "--wait", "0.5", "--index", index, docs)
    assert status == 1
    assert "Another process is writing to this index; try again when it has finished." in out
    assert "Traceback" not in out
    report = forks.verify(index)
    assert report["articles"] == {} and report["sentences_in_chroma"] == 0


def test_two_ingests_at_once_both_land_whole(forks: ForkServer, tmp_path: Path):
    a = _docs(tmp_path / "a", "a", 6, 3)
    b = _docs(tmp_path / "b", "b", 6, 4)
    index = tmp_path / "index"
    first, log_a = forks.start("ingest", "--quiet", "--index", index, a)
    second, log_b = forks.start("ingest", "--quiet", "--index", index, b)
    assert forks.reap(first)["status"] == 0, log_a.read_text()
    assert forks.reap(second)["status"] == 0, log_b.read_text()
    report = forks.verify(index)
    assert len(report["articles"]) == 12
    assert report["visible_problems"] == report["leftover_problems"] == []
    assert report["sentences_in_chroma"] == report["sentences_visible"]


def test_a_running_app_and_cli_writers_share_an_embedded_index(forks: ForkServer, tmp_path: Path, real_embedder):
    """`qa serve` stays up while `qa ingest` / `qa remove` run in other processes: it sees their commits
    and its own uploads never clobber theirs."""
    from qa.engine import QA

    index = tmp_path / "index"
    a = tmp_path / "a"
    a.mkdir()
    (a / "bridge.txt").write_text("Flooding closed the Lindqvist Bridge in Tromsø on Tuesday. "
                                  "Officials moved 1,200 residents to the sports hall.", encoding="utf-8")
    assert forks.run("ingest", "--quiet", "--index", index, a)[0] == 0
    app = QA(index, embedder=real_embedder)  # the long-running app
    assert "1,200" in app.ask("How many residents were moved?").answer

    b = tmp_path / "b"
    b.mkdir()
    (b / "port.txt").write_text("The port of Valparaíso reopened on Friday after a strike. "
                                "Dockworkers won a 9% raise.", encoding="utf-8")
    assert forks.run("ingest", "--quiet", "--index", index, b)[0] == 0  # another process writes
    time.sleep(1.1)
    answer = app.ask("What raise did the dockworkers win?")
    assert answer.citations and "9% raise" in answer.citations[0].sentence
    port_id = answer.citations[0].article_id

    report = app.ingest_bytes([("rail.txt", "A rail link between Kraków and Gdańsk opened in March. "
                                            "Tickets cost 80 złoty.".encode())])  # the app writes too
    assert report.added
    status, out = forks.run("remove", "--index", index, port_id)
    assert status == 0, out
    time.sleep(1.1)
    assert all(c.article_id != port_id for c in app.ask("What raise did the dockworkers win?").citations)
    assert "80 złoty" in app.ask("How much do rail tickets cost?").citations[0].sentence
    report = forks.verify(index)
    assert len(report["articles"]) == 2 and report["visible_problems"] == []
    assert report["sentences_in_chroma"] - report["sentences_visible"] == 0
    assert app.check() == []


def test_an_ingest_killed_while_an_app_serves_leaves_answers_and_derived_indexes_whole(forks: ForkServer,
                                                                                      tmp_path: Path, real_embedder):
    """SIGKILL a `qa ingest` inside its writes, then just after its commit (while it updates the derived
    indexes): the running app answers from what was committed, a new process reads the same from the
    derived files (current, or brought up to date), and a re-run leaves `qa check` clean."""
    from qa.engine import QA
    from qa.search.derived import Derived

    rng = random.Random(20261201)
    index, docs = tmp_path / "index", tmp_path / "docs"
    docs.mkdir()
    (docs / "fact.txt").write_text(FACT, encoding="utf-8")
    for topic in range(6):
        (docs / f"story {topic:02d}.txt").write_text(article_text(rng, topic, 0), encoding="utf-8")
    assert forks.run("ingest", "--quiet", "--index", index, docs)[0] == 0
    app = QA(index, embedder=real_embedder)
    questions = ["What budget did the Harbor Council approve for the Lindqvist Bridge?",
                 "When does work start?", "Who delayed the port deal?"]
    assert app.ask(questions[0]).citations

    def live(engine: QA) -> dict[str, str]:
        corpus = engine.retriever().corpus
        return {aid: corpus.articles[row].content_hash for aid, row in corpus.article_row.items()}

    landed: list[int] = []
    for round_, (wait_bytes, extra_s) in enumerate([(2, 0.0), (4, 0.3)]):
        for topic in range(6):  # edits, and new articles
            (docs / f"story {topic:02d}.txt").write_text(article_text(rng, topic, round_ + 1), encoding="utf-8")
        for topic in range(10):
            (docs / f"new {round_} {topic:02d}.txt").write_text(article_text(rng, 50 + 10 * round_ + topic, 0),
                                                                encoding="utf-8")
        beacon = tmp_path / f"beacon{round_}"
        pid, _ = forks.start("ingest", "--quiet", "--index", index, docs, beacon=beacon)
        _wait_for_bytes(beacon, wait_bytes, 120)
        time.sleep(extra_s)
        os.kill(pid, signal.SIGKILL)
        forks.reap(pid)
        time.sleep(1.1)  # the app looks for other processes' commits once a second
        answers = [app.ask(q) for q in questions]
        committed = {a.id: a.content_hash for a in app.articles()}
        assert live(app) == committed  # the last committed state, nothing half-written
        for answer in answers:
            for c in answer.citations:
                assert app.article(c.article_id).text[c.start:c.end] == c.sentence
        assert Derived(index / "derived").check() == []
        fresh = QA(index, embedder=real_embedder)
        assert live(fresh) == committed
        assert [[c.key for c in fresh.ask(q).citations] for q in questions] == \
            [[c.key for c in a.citations] for a in answers]
        landed.append(len(committed))

    print(f"\narticles committed when each ingest was killed: {landed}")
    assert landed[0] == 7 and landed[1] > 7  # the first inside its writes; the second after a commit
    status, out = forks.run("ingest", "--quiet", "--index", index, docs)
    assert status == 0, out
    status, out = forks.run("check", "--repair", "--index", index)
    assert status == 0, out
    status, out = forks.run("check", "--index", index)
    assert status == 0 and out.startswith("ok:"), out
    time.sleep(1.1)
    assert live(app) == {a.id: a.content_hash for a in app.articles()} and len(live(app)) == 27
