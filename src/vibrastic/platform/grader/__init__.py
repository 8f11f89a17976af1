"""Grading: runs a learner's submission in a sandbox and decides the verdict outside it.

Owns the sandbox launcher (``launch``), the code that runs inside it (``inside``, stdlib only),
the trusted judge (``judge``), results (``results``) and the grading entry points (``grade``);
faces reach it through ``vibrastic.platform.progress.service``. May import
``vibrastic.platform.course`` and the engine; never the progress store or a face. Import the
module you need: this package imports nothing eagerly, so ``vibrastic.platform.grader.results``
does not start the grader.

    from vibrastic.platform.grader.grade import grade_source
    result = grade_source("sigma", "def sigma(n):\\n    return sum(i * i for i in range(n + 1))\\n")
    result.status, result.score, result.max_score, result.to_json()
"""
