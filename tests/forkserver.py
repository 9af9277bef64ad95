"""A fork server for the crash and concurrency tests: it pays the 10-15 s import of torch,
sentence-transformers and chromadb once, then forks a fresh child per command. A child runs the
real `qa` CLI (real packaged model, real on-disk Chroma) exactly as `qa ...` would, so a test can
SIGKILL real ingests many times in seconds rather than minutes. Nothing heavy is *loaded* before
the fork (no model, no Chroma client, no threads), so each child starts clean.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cli": [...argv], "log": PATH, "beacon": PATH?} -> {"pid": N}  child runs `qa argv`, output to PATH
                                       (with a beacon file, one byte is appended as each article write begins)
  {"verify": INDEX, "out": PATH, "question": Q?, "chroma": URL?} -> {"pid": N}  child writes an integrity report
  {"reap": N}                          -> {"status": S, "signal": G}  waits for child N
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def verify(index: str, question: str | None = None, chroma: str | None = None) -> dict[str, Any]:
    """Everything a reader could see in `index` (or the Chroma server), checked independently of `Store.check`."""
    from index.loaders import content_hash
    from index.store import Store

    store = Store(index, chroma_url=chroma)
    problems = store.check()
    infos = store.list_articles()
    corpus = store.load_corpus()
    texts = store.get_articles([a.id for a in infos])
    n_sent = {a.id: 0 for a in infos}
    n_chunk = {a.id: 0 for a in infos}
    bad_offsets = 0
    for row in range(len(corpus.sentence_ids)):
        aid = corpus.articles[corpus.sentence_article[row]].id
        n_sent[aid] += 1
        start, end = int(corpus.sentence_start[row]), int(corpus.sentence_end[row])
        if texts[aid].text[start:end] != corpus.sentence_text[row]:
            bad_offsets += 1
    for row in range(len(corpus.chunk_ids)):
        n_chunk[corpus.articles[corpus.chunk_article[row]].id] += 1
    report: dict[str, Any] = {
        "articles": {a.id: a.content_hash for a in infos},
        "visible_problems": [str(p) for p in problems if p.visible],
        "leftover_problems": [str(p) for p in problems if not p.visible],
        "incomplete": [a.id for a in infos if n_sent[a.id] != a.n_sentences or n_chunk[a.id] != a.n_chunks],
        "hash_mismatch": [a.id for a in infos if content_hash(texts[a.id].text) != a.content_hash],
        "bad_offsets": bad_offsets,
        "sentences_visible": len(corpus.sentence_ids),
        "chunks_visible": len(corpus.chunk_ids),
        "sentences_in_chroma": store.sentences_col.count(),
        "chunks_in_chroma": store.chunks_col.count(),
        "pending": str((store.articles_col.metadata or {}).get("pending", "")),
    }
    if question:
        from qa.engine import QA

        answer = QA(index, chroma=chroma).ask(question)
        report["citations"] = len(answer.citations)
        report["bad_citations"] = sum(
            1 for c in answer.citations if texts[c.article_id].text[c.start : c.end] != c.sentence
        )
    return report


def _beacon(path: str) -> None:
    """Observe, not change: append one byte to `path` as each step of a store write begins (a batch,
    its sentence and chunk upserts, the clean-up of replaced versions), so the test can aim its
    SIGKILL into the writes, before and after their commit."""
    from index.store import Store

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def observe(name: str) -> None:
        original = getattr(Store, name)

        def observed(self: Store, *args: Any, **kwargs: Any) -> Any:
            os.write(fd, b"+")
            return original(self, *args, **kwargs)

        setattr(Store, name, observed)

    for name in ("put_many", "_upsert", "_delete_parts"):
        observe(name)


def _child(command: dict[str, Any]) -> int:
    where = command.get("log") or (command["out"] + ".log" if command.get("out") else os.devnull)
    log = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    if command.get("beacon"):
        _beacon(command["beacon"])
    if "cli" in command:
        from qa.shells.cli import main

        try:
            main(command["cli"], prog_name="qa")
        except SystemExit as exc:
            code = exc.code
            sys.stdout.flush()
            sys.stderr.flush()
            return code if isinstance(code, int) else (0 if code is None else 1)
        return 0
    report = verify(command["verify"], command.get("question"), command.get("chroma"))
    with open(command["out"], "w", encoding="utf-8") as f:
        json.dump(report, f)
    return 0


def serve() -> None:
    """Read commands until stdin closes."""
    import chromadb  # noqa: F401  imported, not started: no client, no threads before fork
    import sentence_transformers  # noqa: F401

    import qa.engine  # noqa: F401
    import qa.shells.cli  # noqa: F401

    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "reap" in command:
            _, status = os.waitpid(int(command["reap"]), 0)
            reply = {"status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                     "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}
            print(json.dumps(reply), flush=True)
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(command)
            except BaseException:  # show why in the child's log, then exit like a crash
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    serve()
