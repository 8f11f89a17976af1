"""The ML library the course is taught with: the deck's algorithms, data sets, plots and labs.

Owns ``classic`` (perceptron, gradient descent with momentum, k-means, bandits written out as the
deck writes them), ``data`` (the deck's data sets, made in code), ``plots`` (matplotlib figures)
and ``labs`` (one module per hands-on, run on PyTorch or on vibrastic's engine; ``labs.toml``
lists them without importing them). May import the engine (``vibrastic``), NumPy, scikit-learn,
matplotlib and torch; never ``vibrastic.platform`` or ``vibrastic.faces``, so it knows nothing of
courses: a course's ``course.toml`` orders the labs.
"""
