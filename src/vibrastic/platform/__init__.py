"""The course platform: what turns the deck into a course that can be taken and graded.

``course`` (the content model: course.toml, lessons, challenges and the checks their tests are
written in; running and exporting lessons), ``grader`` (sandboxed grading) and ``progress``
(the learner's store, submissions, workspace, course map). Layers inside, each importing only
those before it: ``course`` → ``grader`` → ``progress``. May import the ML library and the
engine; never ``vibrastic.faces``. No terminal or web rendering lives here.
"""
