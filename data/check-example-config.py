#!/usr/bin/python3
# check-example-config.py: the example config holds every key --help lists,
# each with the default --help states, and the CLI loads it without error.
#
#   check-example-config.py LINGMA_IPC_PROXY EXAMPLE_JSON
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import subprocess
import sys
import tempfile

# Defaults --help describes rather than states, and the example's value for each.
COMPUTED_DEFAULTS = {
    "the current directory": ".",
    "the name of $SHELL, else bash": "bash",
}


def help_text(binary, env):
    run = subprocess.run([binary, "--help"], capture_output=True, text=True, env=env, check=True)
    return run.stdout


def as_help_default(value):
    """The value as --help prints a default."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("", {}):
        return "none"
    return str(value)


def main():
    binary, example_path = (os.path.abspath(arg) for arg in sys.argv[1:3])
    failures = []

    with open(example_path, encoding="utf-8") as f:
        example = json.load(f)
    if not isinstance(example, dict):
        sys.exit(f"{example_path}: not a JSON object")

    with tempfile.TemporaryDirectory() as home:
        # English help, no user config file, no info file: only the example counts.
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("LINGMA_", "LC_", "LANG"))}
        env.update({"LC_ALL": "C.UTF-8", "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "config"),
                    "LINGMA_SHARED_CLIENT_INFO": os.path.join(home, "no-such-info.json")})

        documented = dict(re.findall(r"^      \[key (\w+); \w+; default (.*)\]$", help_text(binary, env), re.M))
        if not documented:
            sys.exit("--help lists no keys")

        for key in sorted(documented.keys() - example.keys()):
            failures.append(f"key {key} is in --help but missing from the example")
        for key in sorted(example.keys() - documented.keys()):
            failures.append(f"key {key} is in the example but not in --help")
        for key in sorted(documented.keys() & example.keys()):
            default = documented[key]
            wanted = COMPUTED_DEFAULTS.get(default, default)
            shown = example[key] if default in COMPUTED_DEFAULTS else as_help_default(example[key])
            if shown != wanted:
                failures.append(f"key {key} is {json.dumps(example[key])} but its default is {default}")

        # --discover loads the whole configuration first: status 2 means a bad value.
        run = subprocess.run([binary, "--config", example_path, "--discover"], capture_output=True, text=True,
                             env=env, cwd=home, timeout=60)
        if run.returncode not in (0, 1):
            failures.append(f"loading the example exited {run.returncode}: {run.stderr.strip()}")

    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"{len(documented)} keys documented, present and at their defaults; the CLI loads the example")


if __name__ == "__main__":
    main()
