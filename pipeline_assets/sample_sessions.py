"""How the sample users behave: sessions of several events, a shopping funnel, a day's rhythm.

The generator's valid events come from here. A seed fixes a population of users (each with a
country, its usual currency and a device, the same every day) and a library of session shapes
(event types with their seconds from the session's start, built by a small state machine: a view
may lead to a click, a click to an add to cart, an add to cart to a purchase). A day then draws
whole sessions: a user (some far more active than others), a start following the hour-of-day
curve, and a shape; every field of every event is a lookup in a table built once, so a million
events stay fast (the per-record cost is picking indexes, not formatting text).
"""

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from pipeline_assets.sample_topics import SEARCH_TOPICS, misspell

# Country -> the currency its users pay in; every one of them has a rate in the day's fx file
# (Brazilian shoppers pay in USD: the fx file has no BRL). "" is a user who did not say.
USUAL_CURRENCY = {"US": "USD", "DE": "EUR", "FR": "EUR", "GB": "GBP", "JP": "JPY", "BR": "USD", "": "USD"}
_COUNTRY_WEIGHTS = {"US": 40, "DE": 15, "GB": 14, "FR": 10, "JP": 9, "BR": 7, "": 5}
_DEVICE_WEIGHTS = {"web": 45, "ios": 30, "android": 20, "": 5}
# Share of a day's sessions starting in each UTC hour: quiet at night, peaks at lunch and evening.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 9, 8, 8, 8, 9, 11, 13, 14, 12, 8, 4)
# A purchase's price in USD (log-normal: many small baskets, a long tail), then per currency.
_PRICE_MEDIAN_USD, _PRICE_SIGMA = 35.0, 0.9
FX_RATES = {"EUR": "1.08", "GBP": "1.27", "JPY": "0.0067"}  # the day's fx file (USD is 1)
_USD_PER_UNIT = {"USD": 1.0, **{currency: float(rate) for currency, rate in FX_RATES.items()}}
_DECIMALS = {"JPY": 0}  # yen have no minor unit
# The funnel: the chance that the event right after a view is a click, after a click an add to
# cart, after an add to cart a purchase (a step not taken then is lost, as shoppers drift off).
CLICK_AFTER_VIEW, CART_AFTER_CLICK, PURCHASE_AFTER_CART = 0.35, 0.3, 0.4
_SEARCH_SHARE, _LOGIN_SHARE, _LOGOUT_SHARE = 0.2, 0.3, 0.2
MEAN_SESSION_EVENTS = 8  # events after the optional login, before the optional logout
_MEAN_GAP_SECONDS = 40
_SHAPES, _PRICES = 4_096, 2_048
_CORRECT_PER_TYPO = 4  # one search in five has a typo
# Free text with the CSV-hostile characters RFC 4180 quoting exists for (non-search events).
OTHER_METADATA = tuple(json.dumps({"ref": ref}) for ref in ("ad, banner", 'say "hi"', "line\nbreak", "plain"))


@dataclass(frozen=True)
class User:
    user_id: str
    country: str
    currency: str
    device: str


@dataclass(frozen=True)
class Population:
    """What a seed fixes: its users, how often each is drawn, session shapes, queries and prices."""

    users: tuple[User, ...]
    draws: tuple[int, ...]  # user indexes, each repeated by how active the user is
    shapes: tuple[tuple[tuple[str, int], ...], ...]  # (event_type, seconds from start) per event
    queries: tuple[str, ...]  # search metadata as JSON text: every phrasing and typos of it
    prices: dict[str, tuple[str, ...]]  # currency -> amounts as written
    hours: tuple[int, ...]  # hours repeated by HOUR_WEIGHTS


def population(seed: int, events_per_day: int) -> Population:
    """The users and habits for ``seed``; about one user per 12 events of a day, at least 20."""
    rng = random.Random(f"{seed}:population")
    countries, devices = _weighted(_COUNTRY_WEIGHTS), _weighted(_DEVICE_WEIGHTS)
    users, draws = [], []
    for index in range(max(20, events_per_day // 12)):
        country = rng.choice(countries)
        users.append(User(str(index + 1), country, USUAL_CURRENCY[country], rng.choice(devices)))
        draws += [index] * rng.choice((1, 1, 1, 1, 2, 2, 3, 5, 8))  # a few heavy users
    queries = []
    for phrasings in SEARCH_TOPICS.values():
        for phrase in phrasings:
            queries += [phrase] * _CORRECT_PER_TYPO + [misspell(phrase, rng)]
    usd = [_PRICE_MEDIAN_USD * math.exp(rng.gauss(0, _PRICE_SIGMA)) for _ in range(_PRICES)]
    prices = {
        currency: tuple(_money(max(price / rate, 10 ** -_DECIMALS.get(currency, 2)), currency) for price in usd)
        for currency, rate in _USD_PER_UNIT.items()
    }
    return Population(
        users=tuple(users),
        draws=tuple(draws),
        shapes=tuple(_shape(rng) for _ in range(_SHAPES)),
        queries=tuple(json.dumps({"q": q}) for q in queries),
        prices=prices,
        hours=tuple(hour for hour, weight in enumerate(HOUR_WEIGHTS) for _ in range(weight)),
    )


def _weighted(weights: dict[str, int]) -> tuple[str, ...]:
    return tuple(value for value, weight in weights.items() for _ in range(weight))


def _money(amount: float, currency: str) -> str:
    return f"{amount:.{_DECIMALS.get(currency, 2)}f}"


def _shape(rng: random.Random) -> tuple[tuple[str, int], ...]:
    """One session: optional login, several browsing steps through the funnel, optional logout."""
    types = ["login"] if rng.random() < _LOGIN_SHARE else []
    steps = 1 + int(rng.expovariate(1 / (MEAN_SESSION_EVENTS - 1)))
    follows = {"view": ("click", CLICK_AFTER_VIEW), "click": ("add_to_cart", CART_AFTER_CLICK)}
    follows["add_to_cart"] = ("purchase", PURCHASE_AFTER_CART)
    previous = ""
    for _ in range(steps):
        draw = rng.random()
        step, chance = follows.get(previous, ("", 0.0))
        if draw < chance:
            event = step
        elif rng.random() < _SEARCH_SHARE:
            event = "search"
        else:
            event = "view"
        types.append(event)
        previous = event
    if rng.random() < _LOGOUT_SHARE:
        types.append("logout")
    seconds, shape = 0, []
    for event in types:
        shape.append((event, seconds))
        seconds += 1 + int(rng.expovariate(1 / _MEAN_GAP_SECONDS))
    return tuple(shape)


def session_events(
    people: Population,
    below: Callable[[int], int],
    count: int,
    id_prefix: str,
    session_prefix: str,
    write_ts: Callable[[int, int], str],
    offsets: int,
) -> list[tuple[str, ...]]:
    """``count`` events in EVENT_COLUMNS order, ids ``id_prefix`` 0…, whole sessions but the last
    one, which is cut to fit. ``below(n)`` draws an index below n; ``write_ts(second,
    offset_index)`` writes an instant ``second`` seconds into the day at one of ``offsets`` offsets."""
    events: list[tuple[str, ...]] = []
    users, draws, shapes, queries, prices, hours = (
        people.users, people.draws, people.shapes, people.queries, people.prices, people.hours,
    )  # fmt: skip
    session = 0
    while len(events) < count:
        user = users[draws[below(len(draws))]]
        shape = shapes[below(len(shapes))]
        duration = shape[-1][1]
        # Starts by the hour curve; a session that would run past midnight starts earlier instead.
        start = min(1 + hours[below(len(hours))] * 3600 + below(3600), max(1, 86_398 - duration))
        session += 1
        session_id = f"{session_prefix}{session}"
        own_prices = prices[user.currency]
        for event_type, seconds in shape[: count - len(events)]:
            second = min(start + seconds, 86_398)
            if event_type == "purchase":
                amount, currency = own_prices[below(len(own_prices))], user.currency
            else:
                amount = currency = ""
            metadata = queries[below(len(queries))] if event_type == "search" else OTHER_METADATA[below(4)]
            events.append(
                (id_prefix + str(len(events)), user.user_id, session_id, event_type, write_ts(second, below(offsets)),
                 amount, currency, user.country, user.device, metadata)
            )  # fmt: skip
    return events
