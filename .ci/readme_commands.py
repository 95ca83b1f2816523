"""Print the README's first two quick-start commands (set-up + main job, then the tests), one a line."""

import re
from pathlib import Path

text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
block = re.search(r"## Quick start\s+```bash\n(.*?)```", text, re.S)
assert block, "README.md has no '## Quick start' bash block"
lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()]
commands = [line for line in lines if line][:2]
assert len(commands) == 2, commands
print("\n".join(commands))
