"""Draw docs/architecture.md's picture from the code: rooms and the imports between them.

`make architecture` rewrites the Mermaid block between the markers of docs/architecture.md;
tests/test_architecture.py fails when the committed picture differs from the code's, so the
picture cannot go stale. Rooms are the floors' subpackages (domain/contract, adapters/pdf...)
and the top-level modules; an arrow means "imports", drawn once per pair of rooms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

DOC = Path(__file__).with_name("architecture.md")
BEGIN, END = "```mermaid", "```"
FLOORS = ("cli", "services", "adapters", "domain")
EVERYWHERE = ("errors", "i18n", "__main__")  # imported by every floor: said in words, not drawn


def room(module: str) -> str:
    """`slaengine.domain.contract.model` -> `domain.contract`; `slaengine.cli.run` -> `cli`."""
    parts = module.split(".")[1:]
    if len(parts) >= 2 and parts[0] in ("domain", "adapters") and parts[1] != "__init__":
        return ".".join(parts[:2])
    return parts[0] if parts else "slaengine"


def room_edges() -> set[tuple[str, str]]:
    graph = grimp.build_graph("slaengine")
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = room(module), room(imported)
            drawn = not {source, target} & {"slaengine", *EVERYWHERE}
            if source != target and drawn:
                edges.add((source, target))
    return edges


def floor(name: str) -> str:
    return name.split(".")[0]


def node(name: str) -> str:
    """A room's node, or a floor's box for a floor without rooms (cli, services)."""
    return f"{name}_floor" if name in FLOORS else name.replace(".", "_")


def mermaid() -> str:
    """The picture as a Mermaid flowchart, in a stable order: floors as boxes, the imports
    between rooms of one floor room to room, the imports across floors box to box (once per
    pair of floors, so that the picture stays readable)."""
    edges = sorted(room_edges())
    rooms = sorted({name for edge in edges for name in edge})
    lines = ["flowchart TB"]
    for level in FLOORS:
        inside = [name for name in rooms if name.startswith(f"{level}.")]
        lines.append(f"  subgraph {level}_floor[{level}]")
        lines += [f"    {node(name)}[{name.split('.')[-1]}]" for name in inside]
        lines.append("  end")
    lines += [f"  {name}[{name}]" for name in rooms if floor(name) not in FLOORS]
    within = [(a, b) for a, b in edges if floor(a) == floor(b)]
    across = sorted(
        {(a if floor(a) not in FLOORS else floor(a), b if floor(b) not in FLOORS else floor(b))
         for a, b in edges if floor(a) != floor(b)}
    )  # fmt: skip
    lines += [f"  {node(a)} --> {node(b)}" for a, b in within]
    lines += [f"  {node(a)} ==> {node(b)}" for a, b in across]
    return "\n".join(lines)


def with_picture(text: str, picture: str) -> str:
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END, start)
    return f"{text[:start]}\n{picture}\n{text[end:]}"


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(with_picture(text, mermaid()), encoding="utf-8")
    print(f"{DOC}: {len(room_edges())} imports between rooms drawn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
