"""The web course for one learner: ``vibrastic serve`` (FastAPI + Jinja2 + htmx, SSE for progress).

Pages (home, lessons, labs, challenges, progress) and a small JSON API under ``/api`` with its
OpenAPI page at ``/api/docs``. Thin: every page calls platform or ML-library functions (lesson
rendering and caching in ``platform.course.render``, grading in ``platform.progress.service``,
labs through ``ml.labs``) and renders the result. Front-end assets are vendored under
``static/vendor`` (built from ``frontend/`` at the repository root; no Node.js at run time).
"""

from vibrastic.faces.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
