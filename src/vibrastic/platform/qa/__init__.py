"""Question & Answer: the deck's fourth part, a board attached to every lesson, lab and challenge.

``markup`` turns a post's Markdown (code blocks, math) into HTML that is safe to show to other
people. May import the rest of ``vibrastic.platform``; the pages live in ``vibrastic.faces``.
"""
