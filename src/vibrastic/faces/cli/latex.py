"""LaTeX formulas as readable Unicode text for the terminal (``\\frac{a}{b}`` → ``(a)/(b)``).

Not a TeX engine: it covers the notation of the Vibrastic 101 deck (Greek letters, sums,
fractions, partial derivatives, vectors, hats, sub- and superscripts, ``cases``).
"""

from __future__ import annotations

import re
import unicodedata

SYMBOLS = {
    r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\Delta": "Δ",
    r"\epsilon": "ε", r"\eta": "η", r"\theta": "θ", r"\lambda": "λ", r"\mu": "μ", r"\pi": "π",
    r"\sigma": "σ", r"\Sigma": "Σ", r"\omega": "ω", r"\Psi": "Ψ", r"\ell": "ℓ",
    r"\sum": "Σ", r"\partial": "∂", r"\nabla": "∇", r"\cdot": "·", r"\times": "×",
    r"\in": "∈", r"\to": "→", r"\rightarrow": "→", r"\leftarrow": "←",
    r"\leq": "≤", r"\geq": "≥", r"\neq": "≠",
    r"\approx": "≈", r"\infty": "∞", r"\circ": "∘", r"\ldots": "…", r"\dots": "…",
    r"\cdots": "⋯", r"\langle": "⟨", r"\rangle": "⟩", r"\|": "‖", r"\lVert": "‖", r"\rVert": "‖",
    r"\quad": "  ", r"\qquad": "    ", r"\,": " ", r"\;": " ", r"\!": "", r"\{": "{", r"\}": "}",
    r"\max": "max", r"\min": "min", r"\tanh": "tanh", r"\sin": "sin", r"\exp": "exp",
    r"\log": "log", r"\left": "", r"\right": "", r"\bigl": "", r"\bigr": "",
}
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ"}
SUPERSCRIPTS = str.maketrans("0123456789+-=()nijklTtLKN", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏˡᵀᵗᴸᴷᴺ")
SUBSCRIPTS = str.maketrans("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")

_GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"  # one brace group, one level of nesting inside


def _script(text: str, table: dict[int, int], mark: str) -> str:
    """Unicode sub/superscript when every character has one, else ``mark(text)``."""
    converted = text.translate(table)
    if all(ch != orig or not orig.isalnum() for ch, orig in zip(converted, text, strict=True)):
        return converted
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def _group_end(s: str, start: int) -> int:
    """Index just past the brace group that opens at ``s[start]`` (``{``), nesting allowed."""
    depth = 0
    for i in range(start, len(s)):
        depth += {"{": 1, "}": -1}.get(s[i], 0)
        if depth == 0:
            return i + 1
    return len(s)


def _braces(s: str) -> str:
    """``\\overbrace{A}^{B}`` and ``\\underbrace{A}_{B}`` → ``{A}[= {B}]`` (any nesting)."""
    while (m := re.search(r"\\(?:overbrace|underbrace)\s*\{", s)) is not None:
        a_end = _group_end(s, m.end() - 1)
        body, rest = s[m.end():a_end - 1], s[a_end:]
        label = re.match(r"\s*[\^_]\s*\{", rest)
        if label:
            l_end = _group_end(rest, label.end() - 1)
            note = rest[label.end():l_end - 1]
            s = s[:m.start()] + "{" + body + "}[= {" + note + "}]" + rest[l_end:]
        else:
            s = s[:m.start()] + "{" + body + "}" + rest
    return s


def _wrap(text: str) -> str:
    """Parenthesise a fraction's part unless it is one token."""
    text = text.strip()
    return text if re.fullmatch(r"[\w.∂ℓ]+|∂\s*\S+", text) else f"({text})"


def latex_to_text(formula: str) -> str:
    """Turn one LaTeX formula (without ``$``) into plain Unicode text."""
    s = formula.strip().replace(r"\{", "\x01").replace(r"\}", "\x02")
    for name in sorted(SYMBOLS, key=len, reverse=True):
        end = r"(?![a-zA-Z])" if name[-1].isalpha() else ""
        s = re.sub(re.escape(name) + end, lambda _m, n=name: SYMBOLS[n], s)
    s = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}",
               lambda m: "{ " + " ; ".join(p.replace("&", " ").strip().rstrip(",; ")
                                           for p in m.group(1).split(r"\\") if p.strip()) + " }",
               s, flags=re.S)
    s = _braces(s)
    for _ in range(3):  # nested fractions
        s = re.sub(r"\\[dt]?frac\s*" + _GROUP + r"\s*" + _GROUP,
                   lambda m: f"{_wrap(m.group(1))}/{_wrap(m.group(2))}\x03", s)
    s = re.sub(r"\\(?:vec|mathbf|boldsymbol|pmb)\s*" + _GROUP, r"\1⃗", s)
    s = re.sub(r"\\vec\s*\\?(\w+)", r"\1⃗", s)
    s = re.sub(r"\\hat\s*" + _GROUP, r"\1̂", s)
    s = re.sub(r"\\hat\s*(\w)", r"\1̂", s)
    s = re.sub(r"\\mathbb\s*\{(\w)\}", lambda m: BLACKBOARD.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\\(?:mathrm|mathcal|text|textit|operatorname|mathit)\s*" + _GROUP, r"\1", s)
    s = re.sub(r"\\sqrt\s*" + _GROUP, r"√(\1)", s)
    s = re.sub(r"\^" + _GROUP, lambda m: _script(m.group(1), SUPERSCRIPTS, "^"), s)
    s = re.sub(r"\^([\w+\-])", lambda m: _script(m.group(1), SUPERSCRIPTS, "^"), s)
    s = re.sub(r"_" + _GROUP, lambda m: _script(m.group(1), SUBSCRIPTS, "_"), s)
    s = re.sub(r"_(\w)", lambda m: _script(m.group(1), SUBSCRIPTS, "_"), s)
    s = s.replace("{", "").replace("}", "").replace("&", "").replace("\\\\", "; ")
    s = re.sub(r"\\([a-zA-Z]+)", r"\1", s)  # unknown commands: keep the name
    s = s.replace("\x01", "{").replace("\x02", "}").replace("∂ ", "∂")
    s = re.sub("\x03(?=[a-zA-Z(])", " ", s).replace("\x03", "")
    return unicodedata.normalize("NFC", re.sub(r"[ \t]+", " ", s).strip())


def markdown_math_to_text(markdown: str) -> str:
    """Replace ``$$…$$`` blocks (as indented lines) and ``$…$`` spans with readable text.

    Code is left alone: fenced blocks and inline code spans keep their ``$`` signs.
    """
    parts = re.split(r"(```.*?```|`[^`\n]*`)", markdown, flags=re.S)
    for i in range(0, len(parts), 2):  # even parts are prose, odd parts are code
        prose = re.sub(r"\$\$(.+?)\$\$",
                       lambda m: "\n\n    " + latex_to_text(m.group(1)) + "\n\n", parts[i],
                       flags=re.S)
        parts[i] = re.sub(r"(?<![\\$])\$([^$\n]+?)\$", lambda m: latex_to_text(m.group(1)), prose)
    return "".join(parts)
