"""The deck's classic algorithms, from scratch in NumPy.

The perceptron, batch gradient descent for linear regression (with and without momentum), k-means,
and ε-greedy agents on a multi-armed bandit.
"""

from vibrastic.ml.classic.bandit import BanditHistory, EpsilonGreedy, GaussianBandit, run_bandit
from vibrastic.ml.classic.gradient_descent import (
    autograd_gradient,
    error,
    gradient_descent,
    gradient_descent_with_momentum,
    hessian_eigenvalues,
    linear_regression_gradient,
    normal_equations,
)
from vibrastic.ml.classic.kmeans import KMeans
from vibrastic.ml.classic.perceptron import Perceptron, PerceptronHistory, step

__all__ = [
    "BanditHistory", "EpsilonGreedy", "GaussianBandit", "KMeans", "Perceptron",
    "PerceptronHistory", "autograd_gradient", "error", "gradient_descent",
    "gradient_descent_with_momentum", "hessian_eigenvalues", "linear_regression_gradient",
    "normal_equations", "run_bandit", "step",
]
