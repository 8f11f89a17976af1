"""The faces people use: thin layers that parse input, call one platform function and render.

``cli`` (the ``vibrastic`` command, the only place for Typer and Rich) and ``notebook``
(``check()``/``hint()`` in Jupyter and Colab); the web course, the classroom and the grading
worker go here too. Faces may import everything below them; nothing imports a face.
"""
