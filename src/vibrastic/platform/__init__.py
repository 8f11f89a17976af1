"""The course platform: what turns the deck into a course that can be taken, graded and taught.

Owns, in layers that each import only those below: ``course`` (the content model: course.toml,
the one source of the course's order; lessons, challenges and the checks their tests are written
in; running and exporting lessons), ``grader`` (sandboxed grading, the verdict decided outside the
sandbox), ``progress`` (the learner's store, submissions through the grading service, workspace,
the course map's model), and on top ``classroom`` (accounts, roster, grading queue, gradebook,
dashboard) and ``qa`` (the Q&A board); beside them ``database`` and ``migrations`` (SQLAlchemy +
Alembic) and ``paths`` (where a learner's data lives). May import the ML library and the engine;
never ``vibrastic.faces``, Typer, Rich or a web framework: content is turned into data, notebooks
or HTML fragments here (``course.render``, ``qa.markup``), and faces draw pages and terminals.
``pyproject.toml``'s import-linter contracts check the layers.
"""
