"""Markov and Shapley attribution on small paths worked out by hand."""

from fractions import Fraction

import pytest

from zhongcao.attribution import (
    channel_set_weights,
    coalition_rates,
    conversion_probability,
    markov_removal_effects,
    normalised,
    shapley_values,
)

# Three journeys: A then conversion; A, B then conversion; B then nothing.
PATHS = [(("A",), True, 1), (("A", "B"), True, 1), (("B",), False, 1)]


def test_markov_by_hand():
    # Transitions: start→A 2/3, start→B 1/3; A→conv 1/2, A→B 1/2; B→conv 1/2, B→null 1/2.
    # P(conv | B) = 1/2; P(conv | A) = 1/2 + 1/2 · 1/2 = 3/4; P(conv) = 2/3 · 3/4 + 1/3 · 1/2 = 2/3.
    assert conversion_probability(PATHS) == pytest.approx(2 / 3)
    # Without A, only start→B→conv is left: 1/3 · 1/2 = 1/6, so A's removal effect is 1 − (1/6)/(2/3) = 3/4.
    assert conversion_probability(PATHS, removed="A") == pytest.approx(1 / 6)
    # Without B, A→B is lost: P(conv | A) = 1/2, P(conv) = 2/3 · 1/2 = 1/3, removal effect 1/2.
    assert conversion_probability(PATHS, removed="B") == pytest.approx(1 / 3)
    effects = markov_removal_effects(PATHS)
    assert effects == pytest.approx({"A": 0.75, "B": 0.5})
    # An order whose path holds both channels splits its credit 0.75 : 0.5 = 60 % : 40 %.
    assert normalised(effects, {"A", "B"}) == pytest.approx({"A": 0.6, "B": 0.4})


def test_repeated_touches_of_one_channel_are_one_step():
    assert conversion_probability([(("A", "A", "A"), True, 2), (("A",), False, 2)]) == pytest.approx(0.5)


def test_shapley_by_hand():
    # Conversion rate per exact channel set: {A} 1/1, {A, B} 1/1, {B} 0/1.
    rates = coalition_rates(PATHS)
    assert rates == {frozenset({"A"}): 1.0, frozenset({"A", "B"}): 1.0, frozenset({"B"}): 0.0}
    # v(∅) = 0, v({A}) = 1, v({B}) = 0, v({A, B}) = 1 + 0 + 1 = 2.
    # φ_A = ½ (v(A) − v(∅)) + ½ (v(AB) − v(B)) = ½ + 1 = 1.5; φ_B = ½ (v(B) − v(∅)) + ½ (v(AB) − v(A)) = 0.5.
    values = shapley_values(rates, {"A", "B"})
    assert values == pytest.approx({"A": 1.5, "B": 0.5})
    assert sum(values.values()) == pytest.approx(2.0)  # efficiency: the values share v(A, B)
    assert normalised(values, {"A", "B"}) == pytest.approx({"A": 0.75, "B": 0.25})


def test_shapley_with_three_channels_by_hand():
    # v(S) = Σ rates of the sets inside S with rates {A} .2, {B} .1, {A, C} .6 (C alone never seen).
    rates = {frozenset({"A"}): 0.2, frozenset({"B"}): 0.1, frozenset({"A", "C"}): 0.6}
    values = shapley_values(rates, {"A", "B", "C"})
    # A: own .2 plus half of the {A, C} synergy .3 → .5; C: half the synergy → .3; B: its own .1.
    assert values == pytest.approx({"A": 0.5, "B": 0.1, "C": 0.3})
    weights = {k: Fraction(v).limit_denominator(1000) for k, v in normalised(values, "ABC").items()}
    assert weights == {"A": Fraction(5, 9), "B": Fraction(1, 9), "C": Fraction(3, 9)}


def test_weights_per_converting_set_sum_to_one_and_are_deterministic():
    paths = [*PATHS, (("C", "A"), True, 3), (("C",), False, 4), (("B", "C"), False, 1)]
    first = channel_set_weights(paths)
    assert channel_set_weights(list(reversed(paths))) == first
    assert set(first) == {"markov", "shapley"}
    for by_set in first.values():
        assert set(by_set) == {frozenset({"A"}), frozenset({"A", "B"}), frozenset({"A", "C"})}
        for channel_set, weights in by_set.items():
            assert set(weights) == channel_set
            assert sum(weights.values()) == pytest.approx(1.0)


def test_a_channel_that_never_helps_gets_nothing_and_all_zero_scores_split_evenly():
    effects = markov_removal_effects([(("A",), True, 1), (("B",), False, 5)])
    assert effects == pytest.approx({"A": 1.0, "B": 0.0})
    assert normalised({"A": 0.0, "B": 0.0}, {"A", "B"}) == {"A": 0.5, "B": 0.5}
