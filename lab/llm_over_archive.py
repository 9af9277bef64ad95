"""LLM answers over a large news index (e.g. `python -m lab bench --scale --scale-index DIR`): 20 questions made of article
titles, how many the LLM answered or fell back on, prompt size, seconds per question.

    .venv/bin/python -m lab llm-over-archive INDEX_DIR http://127.0.0.1:8080/v1
"""
import json
import statistics
import sys
import time

from lab.scale_bench import questions
from qa.engine import QA
from qa.settings import Settings


def main() -> None:
    """Ask and print (argv: INDEX_DIR LLM_URL)."""
    e = QA(sys.argv[1], settings=Settings(llm_url=sys.argv[2], answerer="llm"))
    qs = questions([{"title": a.title} for a in e.articles()], 20, seed=11)
    e.ask(qs[0])
    out = []
    for q in qs:
        t = time.perf_counter()
        a = e.ask(q)
        found = e.retriever().retrieve(q, k=5)
        ctx = [e.retriever().neighbours(r) for r in found.rows]
        prompt = "".join(m.content for m in e.llm.messages(q, found.citations, ctx)) if found.citations else ""
        out.append({"s": time.perf_counter() - t, "answerer": a.answerer, "abstained": a.abstained,
                    "warning": (a.warning or "")[:60], "prompt_chars": len(prompt), "dropped": len(a.dropped)})
    print(json.dumps({
        "questions": len(out),
        "abstained": sum(o["abstained"] for o in out),
        "llm": sum(o["answerer"] == "llm" for o in out),
        "fell_back": sum(bool(o["warning"]) for o in out),
        "timeouts_or_errors": sum("LLM at" in o["warning"] or "took longer" in o["warning"] for o in out),
        "prompt_chars_max": max(o["prompt_chars"] for o in out),
        "prompt_chars_p50": statistics.median(o["prompt_chars"] for o in out if o["prompt_chars"]),
        "s_p50": round(statistics.median(o["s"] for o in out), 2), "s_max": round(max(o["s"] for o in out), 2)}))


if __name__ == "__main__":
    main()
