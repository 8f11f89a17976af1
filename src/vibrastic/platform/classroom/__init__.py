"""The classroom: many learners, their instructors and TAs, on one course server.

``accounts`` (argon2 password hashes, session tokens, login throttling), ``roster`` (sections,
roster CSV import), ``gradebook`` (best scores per learner and challenge, audited overrides, CSV
exports for spreadsheets and Canvas). Pure library functions and the classroom's tables; the web
pages that use them live in ``vibrastic.faces``. May import the rest of ``vibrastic.platform``.
"""
