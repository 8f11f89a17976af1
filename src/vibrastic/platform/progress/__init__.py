"""Where a learner stands: progress store, submitting (grade, record), workspace, course map.

Owns ``store`` (attempts, hints and statuses in SQLite), ``service`` and ``submit`` (grading
through a bounded queue, recording every attempt once), ``workspace`` (the learner's files,
starters, watching for saves), ``selfcheck`` (``vibrastic course check``) and ``coursemap`` (the
course map as data; faces draw it). May import ``vibrastic.platform.course``,
``vibrastic.platform.grader``, ``paths`` and the layers below the platform; never a face.
"""
