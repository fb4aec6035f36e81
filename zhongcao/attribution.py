"""Data-driven attribution: first-order Markov removal effects and Shapley values of channels.

Both work on *paths*: the ordered channels of a consumer's touches before a conversion (or,
for consumers who never bought, before their last touch) with whether the path converted.
They return channel weights that sum to 1 within a path's set of channels; the dbt models
spread a channel's weight evenly over that channel's touches in the order. Pure functions,
deterministic: the same paths always give the same weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from math import factorial

import numpy as np

Path = tuple[Sequence[str], bool, int]  # (channels in time order, converted?, how many such paths)


def _collapsed(channels: Sequence[str]) -> list[str]:
    """Consecutive touches of one channel are one step of the chain (no self-loops)."""
    steps: list[str] = []
    for channel in channels:
        if not steps or steps[-1] != channel:
            steps.append(channel)
    return steps


def conversion_probability(paths: Iterable[Path], removed: str | None = None) -> float:
    """P(start ⇝ conversion) of the first-order chain fitted to the paths; with `removed`, every
    step into that channel goes to the null state instead (the removal experiment)."""
    paths = list(paths)
    channels = sorted({c for seq, _, _ in paths for c in seq})
    index = {name: i for i, name in enumerate(["(start)", *channels])}
    transient = len(index)
    conversion, null = transient, transient + 1
    counts = np.zeros((transient, transient + 2))
    for seq, converted, n in paths:
        steps = _collapsed(seq)
        if not steps:
            continue
        states = [index["(start)"], *(index[c] for c in steps), conversion if converted else null]
        for a, b in zip(states, states[1:], strict=False):
            counts[a, b] += n
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
    return float(absorbed[index["(start)"]])


def markov_removal_effects(paths: Iterable[Path]) -> dict[str, float]:
    """Removal effect of each channel: the share of conversions lost without it."""
    paths = list(paths)
    base = conversion_probability(paths)
    channels = sorted({c for seq, _, _ in paths for c in seq})
    if base <= 0:
        return dict.fromkeys(channels, 0.0)
    return {c: max(0.0, 1.0 - conversion_probability(paths, removed=c) / base) for c in channels}


def coalition_rates(paths: Iterable[Path]) -> dict[frozenset[str], float]:
    """Conversion rate of the paths whose set of channels is exactly each coalition."""
    converted: dict[frozenset[str], int] = {}
    seen: dict[frozenset[str], int] = {}
    for seq, did_convert, n in paths:
        coalition = frozenset(seq)
        if not coalition:
            continue
        seen[coalition] = seen.get(coalition, 0) + n
        converted[coalition] = converted.get(coalition, 0) + (n if did_convert else 0)
    return {c: converted[c] / seen[c] for c in sorted(seen, key=sorted)}


def shapley_values(rates: dict[frozenset[str], float], players: Iterable[str]) -> dict[str, float]:
    """Shapley value of each player in the game v(S) = Σ rate(T) over coalitions T ⊆ S."""
    players = sorted(set(players))
    n = len(players)

    def value(coalition: frozenset[str]) -> float:
        return sum(rate for members, rate in rates.items() if members <= coalition)

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


def channel_set_weights(paths: Sequence[Path]) -> dict[str, dict[frozenset[str], dict[str, float]]]:
    """For each model and each channel set that converted: the weight of each of its channels."""
    effects = markov_removal_effects(paths)
    rates = coalition_rates(paths)
    converting_sets = sorted({frozenset(seq) for seq, converted, _ in paths if converted and seq}, key=sorted)
    return {
        "markov": {s: normalised(effects, s) for s in converting_sets},
        "shapley": {s: normalised(shapley_values(rates, s), s) for s in converting_sets},
    }
