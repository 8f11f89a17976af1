"""What runs inside the sandbox (stdlib only, bound read-only into it as top-level modules).

``zygote`` (the template: pre-imports, forks a fresh sandbox per job), ``supervisor`` (pid 1 of a
job: limits, relaying), ``observer`` (the learner's process: confinement, then the learner's code
and the probes), ``seccomp`` (the system-call filter) and ``system`` (ctypes wrappers). None of it
decides a verdict.
"""
