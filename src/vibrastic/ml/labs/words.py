"""Lab metric names in words: ``explain("final_error_alpha=0.05")`` → "error E(w) at the end, with
α = 0.05". Faces show the explanation beside the raw name (which stays the JSON key).

Exact names first, then the families the labs generate (per function, per α, per ε, per model,
per gate), then a word-by-word reading, so that no name is ever shown only as snake_case.
"""

from __future__ import annotations

import re

EXACT = {
    # autograd
    "f_value": "f = xy at the lab's point",
    "g_value": "g = xy² − x²y at the lab's point",
    "max_abs_diff_torch_vs_by_hand": "largest difference between PyTorch's gradients and the "
                                     "ones worked out by hand",
    "max_abs_diff_vibrastic_vs_by_hand": "largest difference between vibrastic's gradients and "
                                         "the ones worked out by hand",
    "parity_max_abs_diff": "largest difference between vibrastic and PyTorch on the same "
                           "computation (0 = identical)",
    "parity_compares": "what the vibrastic-vs-PyTorch comparison covers",
    "parity_epochs": "epochs trained on both backends for the comparison",
    "parity_loss_max_abs_diff": "largest difference in loss between vibrastic and PyTorch",
    # svr
    "noise_variance": "variance of the measurement noise: the best error any model can reach",
    "gamma_scale": "the gamma that SVR(gamma='scale') picks for this data",
    "grid_best_C": "C chosen by the cross-validated grid search",
    "grid_best_gamma": "gamma chosen by the cross-validated grid search",
    "grid_best_cv_mse": "cross-validated mean squared error of the grid search's best model",
    "grid_best_test_mse": "mean squared error of that best model on held-out data",
    "grid_n_candidates": "number of (C, gamma) pairs the grid search tried",
    "tuned_beats_default_on_test": "whether the tuned SVR beats the default one on held-out data",
    "deck_claim_default_overfits": "whether the deck's claim holds: the default SVR overfits",
    # k-means
    "ari_sklearn_vs_truth": "agreement of scikit-learn's clusters with the true groups "
                            "(adjusted Rand index, 1 = identical)",
    "ari_scratch_vs_truth": "agreement of the from-scratch clusters with the true groups "
                            "(adjusted Rand index, 1 = identical)",
    "ari_sklearn_vs_scratch": "agreement of scikit-learn's and the from-scratch clusters "
                              "(adjusted Rand index)",
    "inertia_sklearn": "scikit-learn's inertia: sum of squared distances to the nearest center",
    "inertia_scratch": "from-scratch inertia: sum of squared distances to the nearest center",
    "n_iter_sklearn": "iterations scikit-learn's k-means needed",
    "n_iter_scratch": "iterations the from-scratch k-means needed",
    "center_max_diff": "largest distance between matching centers of the two k-means",
    "misplaced_points_scratch": "points the from-scratch k-means put in the wrong group",
    # reinforcement
    "n_runs": "independent runs averaged over",
    "n_steps": "steps per run",
    "k": "number of arms of the bandit",
    "best_epsilon": "the ε with the highest average reward at the end",
    "oracle_average_reward": "average reward of always pulling the best arm (the ceiling)",
    "exploration_beats_greedy": "whether exploring (ε > 0) beats always exploiting (ε = 0)",
    # activations
    "leaky_relu_negative_slope": "Leaky ReLU's slope for x < 0",
    "softmax_jacobian_row_sums_max_abs": "largest row sum of the softmax Jacobian (0 in "
                                         "theory: the outputs always sum to 1)",
    # perceptron, learning rate, momentum
    "alpha": "learning rate α",
    "beta": "momentum β",
    "max_epochs": "most epochs a training may take",
    "max_abs_diff_numpy": "largest difference from the NumPy reference implementation",
    "lambda_max": "largest eigenvalue of XᵀX (how steep the error surface is at most)",
    "lambda_min": "smallest eigenvalue of XᵀX (how flat the error surface is at least)",
    "alpha_critical": "largest α that does not diverge: 2 / λ_max",
    "alpha_critical_gd": "largest α for which plain gradient descent does not diverge",
    "alpha_critical_momentum": "largest α for which gradient descent with momentum does not "
                               "diverge",
    "w_norm_slope": "slope of the best line (normal equations)",
    "w_norm_bias": "bias of the best line (normal equations)",
    "error_w_norm": "error E(w) of the best line: the lowest reachable",
    "error_w_0": "error E(w) at the starting point w₀",
    "diverging_alphas": "the α values for which gradient descent diverges",
    "diverging_alphas_momentum": "the α values for which gradient descent with momentum diverges",
    "n_diverging": "how many of the α values diverge",
    "theory_matches_observation": "whether divergence happens exactly where 2 / λ_max predicts",
    "grad_max_rel_diff_closed_form": "largest relative difference between the gradient and its "
                                     "formula",
    "final_error_gd": "error E(w) at the end, plain gradient descent",
    "final_error_momentum": "error E(w) at the end, with momentum",
    "excess_error_gd": "how far plain gradient descent ends above the lowest error",
    "excess_error_momentum": "how far gradient descent with momentum ends above the lowest error",
    "momentum_lower_error": "whether momentum ends with a lower error than plain gradient descent",
    "distance_to_w_norm_gd": "distance from the best weights at the end, plain gradient descent",
    "distance_to_w_norm_momentum": "distance from the best weights at the end, with momentum",
    # mlp-backprop
    "grad_max_abs_diff_vs_vibrastic": "largest difference between the δ-rule gradients and "
                                      "vibrastic's autograd",
    "grad_max_abs_diff_vs_torch": "largest difference between the δ-rule gradients and "
                                  "PyTorch's autograd",
    "grad_max_abs": "largest gradient entry (the scale of the differences above)",
    "loss_vibrastic": "loss computed by vibrastic",
    "loss_torch": "loss computed by PyTorch",
    "loss_by_hand": "loss computed by hand (NumPy)",
    "loss_after_step": "loss after one gradient-descent step (it must go down)",
    "loss_after_step_deck_sign": "loss after one step with the deck's sign of the update",
    "fit_loss_start": "loss of the sin(x) fit before training",
    "fit_loss_final_by_hand": "loss of the sin(x) fit after training by hand (δ rule)",
    "fit_loss_final_autograd": "loss of the sin(x) fit after training with autograd",
    "fit_weights_max_abs_diff_by_hand_vs_autograd": "largest weight difference between training "
                                                    "by hand and with autograd",
    "fit_parity_max_abs_diff": "largest difference between vibrastic and PyTorch training the fit",
    "fit_parity_steps": "steps trained on both backends for the comparison",
    "fit_steps": "gradient-descent steps of the sin(x) fit",
    # xor
    "max_error": "largest error of the network on the four XOR inputs",
    "converged": "whether every output is within 0.05 of its XOR target",
    "inference_1_0": "the network's output for the deck's example input (1, 0)",
    "final_loss": "loss at the end of training",
    "epochs": "epochs trained",
    "lr": "learning rate",
}

FUNCTIONS = {"linear": "the identity", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
             "leaky_relu": "Leaky ReLU", "softmax": "softmax"}
MODELS = {"default": "SVR()", "auto": "SVR(gamma='auto')", "tuned": "the tuned SVR"}
MODEL_PARTS = {"train_mse": "mean squared error on the training data",
               "test_mse": "mean squared error on held-out data",
               "true_mse": "mean squared error against the noise-free phenomenon",
               "gap": "held-out minus training error (large: overfitting)",
               "overfits": "whether it overfits (training error far below held-out error)"}
GATE_PARTS = {"converged": "whether training converged", "epochs": "epochs trained",
              "updates": "weight updates made", "accuracy": "share of the truth table right"}
BANDIT_PARTS = {"final_average_reward": "average reward over the last tenth of the steps",
                "final_optimal_fraction": "share of the last tenth of the steps that pulled "
                                          "the best arm",
                "total_reward": "reward collected over all steps",
                "total_regret": "reward lost to not always pulling the best arm"}
WORDS = {"max": "largest", "min": "smallest", "abs": "absolute", "diff": "difference",
         "mse": "mean squared error", "n": "number of", "vs": "versus", "cv": "cross-validated",
         "w": "weights", "grad": "gradient", "lr": "learning rate", "eps": "ε"}


def _family(name: str) -> str | None:
    """The explanation for a name from one of the families the labs generate, if any."""
    m = re.fullmatch(r"(\w+?)_(value|derivative|jacobian)_(max_abs_diff|vs_formula)", name)
    if m and m.group(1) in FUNCTIONS:
        what = {"value": "value", "derivative": "derivative by autograd",
                "jacobian": "Jacobian by autograd"}[m.group(2)]
        against = ("vibrastic versus PyTorch" if m.group(3) == "max_abs_diff"
                   else "autograd versus the formula")
        return f"largest difference in {FUNCTIONS[m.group(1)]}'s {what}: {against}"
    m = re.fullmatch(r"(sigmoid|tanh)_derivative_(max|at_(.+))", name)
    if m:
        where = "at its peak (x = 0)" if m.group(2) == "max" else f"at x = {m.group(3)}"
        return f"{FUNCTIONS[m.group(1)]}'s derivative {where} (small: the gradient vanishes)"
    m = re.fullmatch(r"(final_error|diverges|final_error_momentum)_alpha=(.+)", name)
    if m:
        alpha = m.group(2)
        if m.group(1) == "diverges":
            return f"whether gradient descent diverges with α = {alpha}"
        how = " with momentum" if m.group(1).endswith("momentum") else ""
        return f"error E(w) at the end{how}, with α = {alpha}"
    m = re.fullmatch(r"(\w+)_eps=(.+)", name)
    if m and m.group(1) in BANDIT_PARTS:
        return f"{BANDIT_PARTS[m.group(1)]}, with ε = {m.group(2)}"
    m = re.fullmatch(r"(default|auto|tuned)_(\w+)", name)
    if m and m.group(2) in MODEL_PARTS:
        return f"{MODELS[m.group(1)]}: {MODEL_PARTS[m.group(2)]}"
    m = re.fullmatch(r"(and|or|xor)_(plain|momentum)_(\w+)", name)
    if m and m.group(3) in GATE_PARTS:
        how = "with momentum" if m.group(2) == "momentum" else "without momentum"
        return f"{m.group(1).upper()} gate, {how}: {GATE_PARTS[m.group(3)]}"
    m = re.fullmatch(r"d([fg])_d([xy])_(by_hand|torch|vibrastic)", name)
    if m:
        by = {"by_hand": "worked out by hand", "torch": "by PyTorch's autograd",
              "vibrastic": "by vibrastic's autograd"}[m.group(3)]
        return f"∂{m.group(1)}/∂{m.group(2)} {by}"
    m = re.fullmatch(r"predicted_([01])_([01])", name)
    if m:
        return f"the trained network's output for the input ({m.group(1)}, {m.group(2)})"
    return None


def explain(name: str) -> str:
    """``name`` (a lab metric) in words; never just the name again."""
    if name in EXACT:
        return EXACT[name]
    found = _family(name)
    if found:
        return found
    return " ".join(WORDS.get(part, part) for part in re.split(r"[_=]", name) if part)
