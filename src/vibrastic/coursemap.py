"""The course map: the deck's parts in order and the vibrastic commands that reach each one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One part of the deck and where vibrastic teaches it."""

    title: str
    kind: str  # Theory, Challenge, Project, Question & Answer (the deck's course organisation)
    commands: tuple[str, ...]


COURSE_MAP: tuple[Part, ...] = (
    Part("Python refresher: types, containers, loops, functions, classes", "Theory + Challenge",
         ("vibrastic challenge list",)),
    Part("PyTorch autograd: ∂f/∂x by hand and by backward()", "Theory + Challenge",
         ("vibrastic lab run autograd", "vibrastic challenge list")),
    Part("Machine learning: definitions and kinds", "Theory", ()),
    Part("Supervised learning: SVR on a noisy sine", "Theory + hands-on",
         ("vibrastic lab run supervised-svr",)),
    Part("Unsupervised learning: KMeans on three blobs", "Theory + hands-on",
         ("vibrastic lab run unsupervised-kmeans",)),
    Part("Reinforcement learning: exploration vs exploitation", "Theory + hands-on",
         ("vibrastic lab run reinforcement",)),
    Part("The artificial neuron, the perceptron and activation functions", "Theory + hands-on",
         ("vibrastic lab run activations", "vibrastic lab run perceptron")),
    Part("Learning rate α and momentum β studies", "Theory + hands-on",
         ("vibrastic lab run learning-rate", "vibrastic lab run momentum")),
    Part("Multilayer perceptron, backpropagation and the XOR network", "Theory + hands-on",
         ("vibrastic lab run mlp-backprop", "vibrastic lab run xor")),
    Part("Let's build our own: vibrastic's NumPy autograd engine", "Project",
         ("python -c 'import vibrastic as vb'", "make bench")),
    Part("Question & Answer", "Question & Answer", ("(classroom server: planned)",)),
)
