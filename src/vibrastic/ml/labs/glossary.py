"""Every lab metric and table column explained in words, and the values and tables as the faces
show them (the web's lab pages, ``vibrastic lab run``): one place, so both read the same.

``explain(lab, metric)`` matches the metric name against the lab's patterns (regular expressions,
``{0}`` in the text is the first group, e.g. the α of ``final_error_alpha=0.05``); a name with no
entry falls back to its words, so a new metric is never hidden. ``lab_tables`` turns a result's
tables into text cells with their columns explained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vibrastic.ml.labs.base import plain

_DIFF = "largest absolute difference"
_GATE = r"(and|or|xor)"

GLOSSARY: dict[str, list[tuple[str, str]]] = {
    "autograd": [
        (r"(f|g)_value", "the value of {0} at the chosen point"),
        (r"d(f|g)_d(x|y)_by_hand", "∂{0}/∂{1} from the formula worked out by hand"),
        (r"d(f|g)_d(x|y)_(torch|vibrastic)", "∂{0}/∂{1} computed by {2}'s autograd (backward())"),
        (r"max_abs_diff_(torch|vibrastic)_vs_by_hand",
         f"{_DIFF} between {{0}}'s derivatives and the hand-worked ones"),
        (r"parity_max_abs_diff", f"{_DIFF} between the derivatives of torch and vibrastic"),
    ],
    "supervised-svr": [
        (r"noise_variance", "variance of the noise added to the sine (the best possible MSE)"),
        (r"gamma_scale", "the RBF width γ that gamma='scale' (SVR's default) picks here"),
        (r"(default|auto|tuned)_train_mse",
         "mean squared error of the {0} SVR on the points it was trained on"),
        (r"(default|auto|tuned)_test_mse", "mean squared error of the {0} SVR on held-out points"),
        (r"(default|auto|tuned)_gap", "test MSE minus train MSE of the {0} SVR (large: overfits)"),
        (r"(default|auto|tuned)_true_mse",
         "mean squared error of the {0} SVR against the noise-free sine"),
        (r"(default|auto|tuned)_overfits",
         "whether the {0} SVR's gap exceeds the noise variance (it memorised noise)"),
        (r"grid_best_C", "C chosen by the cross-validated grid search"),
        (r"grid_best_gamma", "γ chosen by the cross-validated grid search"),
        (r"grid_best_cv_mse", "cross-validated MSE of the grid search's best SVR"),
        (r"grid_best_test_mse", "held-out MSE of the grid search's best SVR"),
        (r"grid_n_candidates", "how many (C, γ) pairs the grid search tried"),
        (r"tuned_beats_default_on_test", "whether the tuned SVR has a lower held-out MSE than "
                                         "today's default"),
        (r"deck_claim_default_overfits", "whether the deck's claim holds that the default SVR "
                                         "overfits"),
    ],
    "unsupervised-kmeans": [
        (r"ari_sklearn_vs_truth", "adjusted Rand index of scikit-learn's clusters against the "
                                  "true blobs (1: identical, 0: chance)"),
        (r"ari_scratch_vs_truth", "adjusted Rand index of the from-scratch KMeans against the "
                                  "true blobs"),
        (r"ari_sklearn_vs_scratch", "adjusted Rand index between the two KMeans partitions"),
        (r"inertia_(sklearn|scratch)", "sum of squared distances to the nearest centroid "
                                       "({0}; lower is tighter)"),
        (r"n_iter_(sklearn|scratch)", "iterations until the centroids stopped moving ({0})"),
        (r"center_max_diff", f"{_DIFF} between the two implementations' centroids"),
        (r"misplaced_points_scratch", "points the from-scratch KMeans put in another blob's "
                                      "cluster"),
    ],
    "reinforcement": [
        (r"n_runs", "how many random bandit problems every agent played"),
        (r"n_steps", "pulls per problem"),
        (r"k", "arms of every bandit"),
        (r"final_average_reward_eps=(.+)", "average reward over the last tenth of the steps "
                                           "with ε = {0}"),
        (r"final_optimal_fraction_eps=(.+)", "share of pulls of the best arm over the last tenth "
                                             "of the steps with ε = {0}"),
        (r"total_reward_eps=(.+)", "reward summed over all steps with ε = {0}"),
        (r"total_regret_eps=(.+)", "reward lost against always pulling the best arm, with "
                                   "ε = {0}"),
        (r"best_epsilon", "the ε with the highest long-run reward"),
        (r"oracle_average_reward", "average reward of always pulling the best arm"),
        (r"exploration_beats_greedy", "whether some ε > 0 earns more than the greedy agent "
                                      "(ε = 0)"),
    ],
    "activations": [
        (r"(\w+?)_value_max_abs_diff", f"{_DIFF} between torch's and vibrastic's {{0}} values"),
        (r"(\w+?)_derivative_max_abs_diff",
         f"{_DIFF} between torch's and vibrastic's {{0}} derivatives"),
        (r"(\w+?)_derivative_vs_formula",
         f"{_DIFF} between the autograd derivative of {{0}} and its formula"),
        (r"(\w+?)_value_vs_formula", f"{_DIFF} between {{0}} and its formula"),
        (r"leaky_relu_negative_slope", "slope of leaky ReLU for negative inputs"),
        (r"(sigmoid|tanh)_derivative_max", "the largest derivative of {0} (at 0)"),
        (r"(sigmoid|tanh)_derivative_at_5", "the derivative of {0} at 5: nearly zero, the "
                                            "vanishing gradient"),
        (r"softmax_jacobian_max_abs_diff", f"{_DIFF} between the two backends' softmax "
                                           "Jacobians"),
        (r"softmax_jacobian_vs_formula", f"{_DIFF} between softmax's Jacobian and "
                                         "diag(s) − s sᵀ"),
        (r"softmax_jacobian_row_sums_max_abs", "largest row sum of the softmax Jacobian "
                                               "(0 in theory: probabilities sum to 1)"),
        (r"parity_max_abs_diff", f"{_DIFF} between torch and vibrastic over every function"),
    ],
    "perceptron": [
        (r"alpha", "learning rate α of the perceptron rule"),
        (r"beta", "momentum β of the second run"),
        (r"max_epochs", "epochs allowed before giving up"),
        (rf"{_GATE}_(plain|momentum)_converged",
         "whether the perceptron ({1}) got every {0} example right"),
        (rf"{_GATE}_(plain|momentum)_epochs", "epochs the perceptron ({1}) trained on {0}"),
        (rf"{_GATE}_(plain|momentum)_updates", "weight updates the perceptron ({1}) made on {0}"),
        (rf"{_GATE}_(plain|momentum)_accuracy",
         "share of the four {0} examples the trained perceptron ({1}) gets right"),
        (r"max_abs_diff_numpy", f"{_DIFF} between the backend's weights and plain NumPy's"),
        (r"parity_max_abs_diff", f"{_DIFF} between torch's and vibrastic's weights"),
    ],
    "learning-rate": [
        (r"lambda_max", "largest eigenvalue λ_max of the Hessian XᵀX (the steepest curvature)"),
        (r"lambda_min", "smallest eigenvalue of the Hessian XᵀX"),
        (r"alpha_critical", "2/λ_max: gradient descent diverges for any larger α"),
        (r"w_norm_slope", "slope of the exact least-squares line (normal equations)"),
        (r"w_norm_bias", "bias of the exact least-squares line"),
        (r"error_w_norm", "E(w) at the least-squares optimum: the lowest error possible"),
        (r"error_w_0", "E(w) at the starting weights w₀"),
        (r"final_error_alpha=(.+)", "E(w) after the last iteration with α = {0}"),
        (r"diverges_alpha=(.+)", "whether α = {0} is above 2/λ_max, so the descent diverges"),
        (r"diverging_alphas", "the learning rates that diverge"),
        (r"n_diverging", "how many of the learning rates diverge"),
        (r"theory_matches_observation", "whether every α > 2/λ_max actually made the error grow "
                                        "(and no other α did)"),
        (r"grad_max_rel_diff_closed_form", "largest relative difference between the autograd "
                                           "gradient and Xᵀ(Xw − y)"),
        (r"parity_max_abs_diff", "largest relative difference between torch's and vibrastic's "
                                 "gradients"),
    ],
    "momentum": [
        (r"alpha", "learning rate α of the compared runs"),
        (r"beta", "momentum β"),
        (r"error_w_norm", "E(w) at the least-squares optimum: the lowest error possible"),
        (r"final_error_(gd|momentum)", "E(w) after the last iteration ({0})"),
        (r"excess_error_(gd|momentum)", "final E(w) minus the optimum's ({0})"),
        (r"momentum_lower_error", "whether momentum ends with a lower error than plain descent"),
        (r"distance_to_w_norm_(gd|momentum)", "distance of the final weights from the optimum "
                                              "({0})"),
        (r"alpha_critical_gd", "2/λ_max: plain descent diverges above this α"),
        (r"alpha_critical_momentum", "2(1 + β)/λ_max: heavy-ball momentum diverges above this α"),
        (r"final_error_momentum_alpha=(.+)", "E(w) after the last iteration with momentum and "
                                             "α = {0}"),
        (r"diverging_alphas_momentum", "the learning rates that diverge with momentum"),
        (r"grad_max_rel_diff_closed_form", "largest relative difference between the autograd "
                                           "gradient and Xᵀ(Xw − y)"),
        (r"parity_max_abs_diff", "largest relative difference between torch's and vibrastic's "
                                 "gradients"),
    ],
    "mlp-backprop": [
        (r"grad_max_abs_diff_vs_(torch|vibrastic)",
         f"{_DIFF} between the hand-written backprop's gradients and {{0}}'s autograd"),
        (r"loss_(torch|vibrastic|by_hand)", "loss ℓ of the checked network ({0})"),
        (r"grad_max_abs", "largest |∂ℓ/∂w| of the checked network"),
        (r"parity_max_abs_diff", f"{_DIFF} between torch and vibrastic"),
        (r"parity_compares", "what the parity number compares"),
        (r"loss_after_step", "loss after one step w ← w − α∂ℓ/∂w (lower than before)"),
        (r"loss_after_step_deck_sign", "loss after one step with the deck's sign slip (higher)"),
        (r"fit_loss_start", "loss of the sin(x) fit before training"),
        (r"fit_loss_final_by_hand", "loss of the sin(x) fit after training with hand-written "
                                    "backprop"),
        (r"fit_loss_final_autograd", "loss of the sin(x) fit after training with autograd"),
        (r"fit_weights_max_abs_diff_by_hand_vs_autograd",
         f"{_DIFF} between the weights trained by hand and by autograd"),
        (r"fit_parity_max_abs_diff", f"{_DIFF} between torch's and vibrastic's trained weights"),
        (r"fit_parity_steps", "steps both backends trained for the parity check"),
        (r"fit_steps", "training steps of the sin(x) fit"),
        (r"alpha", "learning rate α"),
    ],
    "xor": [
        (r"predicted_(\d)_(\d)", "the trained network's output for the input ({0}, {1})"),
        (r"max_error", "largest |target − output| over the four XOR rows"),
        (r"converged", "whether every output is on the right side of 0.5"),
        (r"inference_1_0", "the deck's inference check: the output for (1, 0)"),
        (r"final_loss", "mean squared error over the four rows after the last epoch"),
        (r"epochs", "epochs trained"),
        (r"lr", "learning rate α of SGD"),
        (r"parity_epochs", "epochs both backends trained for the parity check"),
        (r"parity_max_abs_diff", f"{_DIFF} between torch's and vibrastic's weights after the "
                                 "parity epochs"),
        (r"parity_compares", "what the parity number compares"),
        (r"parity_loss_max_abs_diff", f"{_DIFF} between the two backends' loss curves"),
    ],
}

# The columns of the labs' tables whose names are not words already (one row per α, ε, model).
COLUMNS: dict[str, dict[str, str]] = {
    "learning-rate": {
        "final_error": "E(w) after the last iteration",
        "distance_to_w_norm": "distance ‖w − w_norm‖ of the final weights from the optimum",
        "alpha_times_lambda_max": "α·λ_max: the descent diverges when this is above 2",
        "spectral_radius": "how much each step multiplies the distance to the optimum "
                           "(below 1: it shrinks, so the descent converges)",
        "diverges": "whether α is above 2/λ_max (theory)",
        "error_grew": "whether the error ended above where it started (observed)",
    },
    "momentum": {
        "final_error_momentum": "E(w) after the last iteration with momentum",
        "final_error_gd": "E(w) after the last iteration without momentum",
        "diverges_momentum": "whether α is above 2(1 + β)/λ_max, where momentum diverges",
        "diverges_gd": "whether α is above 2/λ_max, where plain descent diverges",
    },
    "reinforcement": {
        "final_average_reward": "average reward over the last tenth of the steps",
        "final_optimal_fraction": "share of pulls of the best arm over the last tenth of the "
                                  "steps",
        "total_reward": "reward summed over all steps",
        "total_regret": "reward lost against always pulling the best arm",
    },
    "supervised-svr": {
        "train_mse": "mean squared error on the points the model was trained on",
        "test_mse": "mean squared error on held-out points",
        "gap": "test MSE minus train MSE (large: overfits)",
        "true_mse": "mean squared error against the noise-free sine",
        "overfits": "whether the gap exceeds the noise variance (it memorised noise)",
        "cv_mse": "mean squared error averaged over the 5 cross-validation folds",
        "cv_std": "standard deviation of that error across the folds",
    },
    "unsupervised-kmeans": {
        "inertia": "sum of squared distances to the nearest centroid (lower is tighter)",
        "ari_vs_truth": "adjusted Rand index against the true blobs (1: identical, 0: chance)",
    },
}


def explain_column(lab: str, column: str) -> str:
    """A table column in words (its name in words when there is no entry)."""
    return COLUMNS.get(lab, {}).get(column) or column.replace("_", " ")


def explain(lab: str, metric: str) -> str:
    """The metric in words (its name in words when the glossary has no entry)."""
    for pattern, text in GLOSSARY.get(lab, []):
        match = re.fullmatch(pattern, metric)
        if match:
            return text.format(*match.groups())
    return metric.replace("_", " ")


def format_value(value: Any) -> str:
    """A metric or table cell as text: yes/no for bools, floats to 6 significant digits."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class LabTable:
    """One of a lab's tables ready to show: its title in words, column names, every cell as
    text, the columns that need a sentence with that sentence (shown under the table), and the
    columns of numbers (shown right-aligned, so that digits line up)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    explained: dict[str, str]
    numeric: list[str]


def lab_tables(lab: str, tables: dict[str, list[dict[str, Any]]]) -> list[LabTable]:
    """A result's tables (``LabResult.tables``, or as read back from its JSON) as ``LabTable``s.

    Columns are every row's keys in first-seen order; a cell a row lacks is empty. Explained are
    the names rather than words (``final_error``) and the words the glossary has a sentence for.
    """
    out = []
    for name, rows in plain(tables).items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        explained = {c: explain_column(lab, c) for c in columns
                     if (c.isidentifier() and "_" in c) or c in COLUMNS.get(lab, {})}
        cells = [[format_value(row.get(c, "")) for c in columns] for row in rows]
        numeric = [c for i, c in enumerate(columns)
                   if _numbers([row[i] for row in cells if row[i]])]
        out.append(LabTable(name, name.replace("_", " "), columns, cells, explained, numeric))
    return out


def _numbers(cells: list[str]) -> bool:
    """Whether every cell (there is at least one) reads as a number ("0.05", "25", "inf"):
    decided on the text, so a table reads the same before and after its JSON."""
    try:
        for cell in cells:
            float(cell)
    except ValueError:
        return False
    return bool(cells)
