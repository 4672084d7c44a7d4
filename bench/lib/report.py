"""Markdown pieces shared by the modules' render() functions."""


def rps(v):
    return f"{v:.0f}"


def ms(v):
    return f"{v:.2f} ms"


def ratio(a, b):
    return a / b if b else 0.0


def r2(v):
    return f"{v:.2f}"


def verdict(ok):
    return "**PASS**" if ok else "**FAIL**"


def table(header, rows, align=None):
    """A Markdown table; `align` is a string of 'l'/'r'/'c', one per column."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def cpu_us(m):
    return f"{m['cpu_us_per_request']} µs"
