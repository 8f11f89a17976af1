"""The classroom: many learners, their instructors and TAs, on one course server.

Pure helpers: ``accounts`` (argon2 password hashes, tokens, join codes, login throttling),
``roster`` (the roster CSV, checked row by row), ``gradebook`` (the gradebook and its CSV and
Canvas exports). Over the database (``models``, migrated by Alembic): ``people`` (sign-up,
sessions, courses, sections, roles, roster import, password resets), ``grading`` (checks graded
in-process on SQLite or by ``vibrastic worker`` processes through procrastinate on PostgreSQL),
``hints``, ``grades`` (best scores, audited overrides) and ``dashboard`` (the live grid, stuck
flags, pass rates). The web pages that use them live in ``vibrastic.faces``. May import the rest
of ``vibrastic.platform``; nothing here renders HTML.
"""
