"""The heading structure of a deck, so extractors can ask what a line sits under.

Slides converted to Markdown keep their titles as headings of varying depth; a
passage's meaning often comes from them (a paragraph under ``#### がん`` describes
the disease area). Blocks are the text between one heading and the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from healthkg.loaders.text import SourceLine, heading_title


@dataclass
class Block:
    """A heading (None for the text before the first one) and the lines up to the next heading."""

    heading: SourceLine | None
    level: int
    title: str
    lines: list[SourceLine]
    parent: Block | None = None
    children: list[Block] = field(default_factory=list)

    def ancestors(self) -> list[Block]:
        found, block = [], self.parent
        while block is not None:
            found.append(block)
            block = block.parent
        return found

    def paragraphs(self) -> list[list[SourceLine]]:
        """Runs of non-blank lines, in order."""
        runs: list[list[SourceLine]] = [[]]
        for line in self.lines:
            if line.text:
                runs[-1].append(line)
            elif runs[-1]:
                runs.append([])
        return [run for run in runs if run]


def outline(lines: list[SourceLine]) -> list[Block]:
    """All blocks in document order, each linked to the nearest shallower heading above it."""
    blocks = [Block(None, 0, "", [])]
    stack: list[Block] = [blocks[0]]
    for line in lines:
        found = heading_title(line)
        if found is None:
            blocks[-1].lines.append(line)
            continue
        level, title = found
        while stack[-1].level >= level:
            stack.pop()
        block = Block(line, level, title, [], parent=stack[-1])
        stack[-1].children.append(block)
        stack.append(block)
        blocks.append(block)
    return blocks
