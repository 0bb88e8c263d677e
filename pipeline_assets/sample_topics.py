"""What the sample users search for: topics, each written several ways, and the typos people make.

The generator draws `search` events' query text (``metadata = {"q": ...}``) from here, and the
semantic-search benchmark builds its labelled paraphrase and unrelated pairs from the same topics,
so search quality is measured against what the data really holds.
"""

import random

# Topic name -> the ways users phrase it. Each topic is a distinct need; its phrasings share
# meaning, not necessarily words.
SEARCH_TOPICS: dict[str, tuple[str, ...]] = {
    "running shoes": (
        "running shoes",
        "cheap running shoes",
        "sneakers for jogging",
        "trainers for marathon running",
        "lightweight jogging sneakers",
        "best shoes for runners",
    ),
    "wireless headphones": (
        "wireless headphones",
        "bluetooth headphones",
        "noise cancelling headphones",
        "cordless earphones",
        "wireless earbuds",
        "over ear bluetooth headset",
    ),
    "coffee maker": (
        "coffee maker",
        "espresso machine",
        "drip coffee machine",
        "machine to brew coffee",
        "cheap coffee brewer",
        "automatic espresso maker",
    ),
    "winter jacket": (
        "winter jacket",
        "warm coat for winter",
        "down parka",
        "insulated snow jacket",
        "puffer coat",
        "waterproof winter coat",
    ),
    "yoga mat": (
        "yoga mat",
        "non slip yoga mat",
        "exercise mat for pilates",
        "thick workout mat",
        "mat for yoga practice",
        "foldable fitness mat",
    ),
    "phone charger": (
        "phone charger",
        "usb c charger",
        "fast charging cable",
        "wall charger for iphone",
        "charging adapter for smartphone",
        "wireless charging pad",
    ),
    "kids toys": (
        "kids toys",
        "toys for toddlers",
        "educational toys for children",
        "gift for a 5 year old",
        "building blocks for kids",
        "children's board games",
    ),
    "gaming laptop": (
        "gaming laptop",
        "laptop for gaming",
        "notebook with rtx graphics",
        "high performance gaming notebook",
        "cheap laptop for video games",
        "portable gaming computer",
    ),
}

_KEYBOARD_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"


def misspell(text: str, rng: random.Random) -> str:
    """The text with one typo: a letter dropped, doubled, swapped with the next, or mistyped."""
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:-1])
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice(_KEYBOARD_NEIGHBOURS) + text[i + 1 :]
