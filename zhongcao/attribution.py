"""Data-driven attribution: first-order Markov removal effects and Shapley values of channels.

Both learn from *paths*: the ordered channels of a consumer's touches before a conversion (or,
for consumers who never bought, before their last touch) with whether the path converted.
What they need of the paths is small: the Markov chain only its transition counts, Shapley
only how many paths of each exact channel set converted. The warehouse counts those in
DuckDB (millions of paths), and the functions here take the counts; the path-based helpers
count a few paths in Python (tests, small examples). They return channel weights that sum to
1 within a channel set; the dbt models spread a channel's weight evenly over that channel's
touches in the order. Pure functions, deterministic: the same counts always give the same
weights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from math import factorial

import numpy as np

Path = tuple[Sequence[str], bool, int]  # (channels in time order, converted?, how many such paths)
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
Transitions = Mapping[tuple[str, str], int]  # (from state, to state) -> count
SetCounts = Mapping[tuple[frozenset[str], bool], int]  # (channel set, converted?) -> paths


def _collapsed(channels: Sequence[str]) -> list[str]:
    """Consecutive touches of one channel are one step of the chain (no self-loops)."""
    steps: list[str] = []
    for channel in channels:
        if not steps or steps[-1] != channel:
            steps.append(channel)
    return steps


def transition_counts(paths: Iterable[Path]) -> Counter[tuple[str, str]]:
    """Steps of the first-order chain: start → channels (repeats collapsed) → conversion or null."""
    counts: Counter[tuple[str, str]] = Counter()
    for seq, converted, n in paths:
        steps = _collapsed(seq)
        if not steps:
            continue
        states = [START, *steps, CONVERSION if converted else NULL]
        for a, b in zip(states, states[1:], strict=False):
            counts[(a, b)] += n
    return counts


def set_counts(paths: Iterable[Path]) -> Counter[tuple[frozenset[str], bool]]:
    counts: Counter[tuple[frozenset[str], bool]] = Counter()
    for seq, converted, n in paths:
        if seq:
            counts[(frozenset(seq), converted)] += n
    return counts


def _channels_of(transitions: Transitions) -> list[str]:
    return sorted({s for pair in transitions for s in pair} - {START, CONVERSION, NULL})


def chain_conversion_probability(transitions: Transitions, removed: str | None = None) -> float:
    """P(start ⇝ conversion) of the chain with these transition counts; with `removed`, every
    step into that channel goes to the null state instead (the removal experiment)."""
    channels = _channels_of(transitions)
    index = {name: i for i, name in enumerate([START, *channels])}
    transient = len(index)
    conversion, null = transient, transient + 1
    counts = np.zeros((transient, transient + 2))
    for (a, b), n in transitions.items():
        target = conversion if b == CONVERSION else null if b == NULL else index[b]
        counts[index[a], target] += n
    if removed is not None and removed in index:
        gone = index[removed]
        counts[:, null] += counts[:, gone]
        counts[:, gone] = 0
        counts[gone, :] = 0
        counts[gone, null] = 1  # unreachable now; keeps the system well posed
    totals = counts.sum(axis=1, keepdims=True)
    probabilities = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    q = probabilities[:, :transient]
    r = probabilities[:, conversion]
    absorbed = np.linalg.solve(np.eye(transient) - q, r)
    return float(absorbed[index[START]])


def conversion_probability(paths: Iterable[Path], removed: str | None = None) -> float:
    return chain_conversion_probability(transition_counts(paths), removed)


def chain_removal_effects(transitions: Transitions) -> dict[str, float]:
    """Removal effect of each channel: the share of conversions lost without it."""
    channels = _channels_of(transitions)
    base = chain_conversion_probability(transitions)
    if base <= 0:
        return dict.fromkeys(channels, 0.0)
    return {c: max(0.0, 1.0 - chain_conversion_probability(transitions, removed=c) / base) for c in channels}


def markov_removal_effects(paths: Iterable[Path]) -> dict[str, float]:
    return chain_removal_effects(transition_counts(paths))


def rates_of_sets(counts: SetCounts) -> dict[frozenset[str], float]:
    """Conversion rate of the paths whose set of channels is exactly each coalition."""
    seen: Counter[frozenset[str]] = Counter()
    converted: Counter[frozenset[str]] = Counter()
    for (coalition, did_convert), n in counts.items():
        seen[coalition] += n
        if did_convert:
            converted[coalition] += n
    return {c: converted[c] / seen[c] for c in sorted(seen, key=sorted) if seen[c]}


def coalition_rates(paths: Iterable[Path]) -> dict[frozenset[str], float]:
    return rates_of_sets(set_counts(paths))


def shapley_values(rates: dict[frozenset[str], float], players: Iterable[str]) -> dict[str, float]:
    """Shapley value of each player in the game v(S) = Σ rate(T) over coalitions T ⊆ S."""
    players = sorted(set(players))
    n = len(players)
    values_seen: dict[frozenset[str], float] = {}

    def value(coalition: frozenset[str]) -> float:
        if coalition not in values_seen:
            values_seen[coalition] = sum(rate for members, rate in rates.items() if members <= coalition)
        return values_seen[coalition]

    values = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for subset in combinations(others, size):
                coalition = frozenset(subset)
                total += weight * (value(coalition | {player}) - value(coalition))
        values[player] = total
    return values


def normalised(scores: dict[str, float], channels: Iterable[str]) -> dict[str, float]:
    """Scores of the given channels scaled to sum to 1 (equal shares when all are 0)."""
    channels = sorted(set(channels))
    total = sum(max(scores.get(c, 0.0), 0.0) for c in channels)
    if total <= 0:
        return {c: 1.0 / len(channels) for c in channels}
    return {c: max(scores.get(c, 0.0), 0.0) / total for c in channels}


def weights_from_counts(
    transitions: Transitions, sets: SetCounts, channel_sets: Iterable[frozenset[str]]
) -> dict[str, dict[frozenset[str], dict[str, float]]]:
    """For each model and each of `channel_sets`: the weight of each of its channels."""
    effects = chain_removal_effects(transitions)
    rates = rates_of_sets(sets)
    chosen = sorted(set(channel_sets), key=sorted)
    return {
        "markov": {s: normalised(effects, s) for s in chosen},
        "shapley": {s: normalised(shapley_values(rates, s), s) for s in chosen},
    }


def channel_set_weights(
    paths: Sequence[Path], sets: Iterable[frozenset[str]] | None = None
) -> dict[str, dict[frozenset[str], dict[str, float]]]:
    """weights_from_counts on a few paths, by default for the channel sets that converted."""
    if sets is None:
        sets = {frozenset(seq) for seq, converted, _ in paths if converted and seq}
    return weights_from_counts(transition_counts(paths), set_counts(paths), sets)


def every_channel_set(channels: Iterable[str]) -> list[frozenset[str]]:
    """Every non-empty set of the channels: an order of a later night can hold any of them."""
    channels = sorted(set(channels))
    return [frozenset(c) for size in range(1, len(channels) + 1) for c in combinations(channels, size)]
