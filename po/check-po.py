#!/usr/bin/python3
# check-po.py: translation checks for every language in po/LINGUAS.
#
#   check-po.py complete PO_DIR           msgfmt --check passes, nothing is
#                                         untranslated or fuzzy
#   check-po.py in-sync SOURCE_ROOT PO_DIR  the .po files hold exactly the
#                                         msgids xgettext finds in POTFILES.in
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import subprocess
import sys
import tempfile

# The keywords of meson's i18n 'glib' preset, which builds the real POT.
XGETTEXT_KEYWORDS = ["_", "N_", "C_:1c,2", "NC_:1c,2", "g_dcgettext:2", "g_dngettext:2,3", "g_dpgettext2:2c,3"]

# gettext's own messages are parsed below: keep them in English.
ENV = dict(os.environ, LC_ALL="C", LANGUAGE="")


def po_files(po_dir):
    with open(os.path.join(po_dir, "LINGUAS"), encoding="utf-8") as f:
        languages = [word for line in f for word in line.split("#", 1)[0].split()]
    if not languages:
        sys.exit("LINGUAS lists no language")
    return [os.path.join(po_dir, language + ".po") for language in languages]


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, env=ENV)


def check_complete(po_dir):
    ok = True
    for po in po_files(po_dir):
        result = run(["msgfmt", "--check", "--statistics", "--output-file=/dev/null", po])
        statistics = result.stderr.strip()
        print(f"{os.path.basename(po)}: {statistics}")
        if result.returncode != 0 or "untranslated" in statistics or "fuzzy" in statistics:
            ok = False
    return ok


def check_in_sync(source_root, po_dir):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "current.pot")
        result = run(["xgettext", "--from-code=UTF-8", "--directory=" + source_root,
                      "--files-from=" + os.path.join(po_dir, "POTFILES.in"), "--output=" + pot]
                     + ["--keyword=" + keyword for keyword in XGETTEXT_KEYWORDS])
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return False

        for po in po_files(po_dir):
            name = os.path.basename(po)
            # msgcmp DEF REF reports every msgid of REF that DEF lacks; both ways is set equality.
            for definitions, references, problem in ((po, pot, f"new strings missing from {name}"),
                                                     (pot, po, f"stale strings in {name}, gone from the sources")):
                result = run(["msgcmp", "--use-fuzzy", "--use-untranslated", definitions, references])
                if result.returncode != 0:
                    ok = False
                    print(f"{problem}; refresh it with: meson compile -C BUILDDIR "
                          f"lingma-ipc-proxy-pot lingma-ipc-proxy-update-po\n{result.stderr}", file=sys.stderr)
        if ok:
            print("every .po file matches the sources' strings")
    return ok


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "complete":
        ok = check_complete(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "in-sync":
        ok = check_in_sync(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: check-po.py complete PO_DIR | in-sync SOURCE_ROOT PO_DIR")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
