"""Where a learner stands: progress store, submitting (grade, record), workspace, course map.

May import ``vibrastic.platform.course`` and ``vibrastic.platform.grader``; never a face.
"""
