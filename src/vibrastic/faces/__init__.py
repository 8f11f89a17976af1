"""The faces people use: thin layers that parse input, call one platform function and render.

Owns ``cli`` (the ``vibrastic`` command: Typer and Rich live only there) and ``notebook``
(``check()``/``hint()`` in Jupyter and Colab); the web course, the classroom's pages and the
grading worker's entry point go here too. May import everything below (``vibrastic.platform``,
``vibrastic.ml``, the engine); nothing imports a face.
"""
