"""Lab reinforcement: ε-greedy agents on the 10-armed testbed (small configuration)."""

from pathlib import Path

import pytest

from vibrastic.ml.labs import REGISTRY
from vibrastic.ml.labs.reinforcement import EPSILONS, run


@pytest.fixture(scope="module")
def result():
    return run(seed=0, n_runs=400, n_steps=500)


def test_registered_as_numpy_only() -> None:
    assert REGISTRY["reinforcement"].backends == ("numpy",)
    assert EPSILONS == (0.0, 0.01, 0.1, 0.5)


def test_exploration_beats_greed_in_the_long_run(result) -> None:
    m = result.metrics
    assert m["exploration_beats_greedy"]
    assert m["best_epsilon"] == 0.1
    assert m["final_optimal_fraction_eps=0.1"] > m["final_optimal_fraction_eps=0"] + 0.2
    assert m["total_regret_eps=0.1"] < m["total_regret_eps=0.01"] < m["total_regret_eps=0"]


def test_too_much_exploration_wastes_reward(result) -> None:
    m = result.metrics
    assert m["final_average_reward_eps=0.5"] < m["final_average_reward_eps=0.1"]
    assert m["total_regret_eps=0.5"] > m["total_regret_eps=0.1"]


def test_no_agent_beats_the_oracle(result) -> None:
    m = result.metrics
    for eps in EPSILONS:
        assert m[f"final_average_reward_eps={eps:g}"] < m["oracle_average_reward"]
        # total reward + total regret = what the oracle expects to earn (up to reward noise)
        assert (m[f"total_reward_eps={eps:g}"] + m[f"total_regret_eps={eps:g}"]
                == pytest.approx(m["n_steps"] * m["oracle_average_reward"], rel=0.01))


def test_table_and_figures(result, tmp_path: Path) -> None:
    assert [r["epsilon"] for r in result.tables["agents"]] == list(EPSILONS)
    paths = result.save_figures(tmp_path, formats=("png",))
    assert {p.name for p in paths} == {"reinforcement-curves.png",
                                       "reinforcement-cumulative-reward.png"}
    assert len(result.figures["curves"].axes) == 3


def test_seeded() -> None:
    a = run(seed=4, epsilons=(0.1,), n_runs=50, n_steps=40).metrics
    b = run(seed=4, epsilons=(0.1,), n_runs=50, n_steps=40).metrics
    assert a == b
