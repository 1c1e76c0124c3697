"""The small FAT disk that carries a kernel command line and modules.

GRUB on Quiesce's ISO searches every disk for /quiesce-run.cfg and, when it
finds one, sources it; that file loads the kernel with our command line and
modules and boots it. So a run can choose both without rebuilding the ISO.
The disk is a raw FAT image without a partition table, made with mtools
(no root rights or loop devices needed).

GRUB re-joins the words of a `multiboot2` line into the command line the
kernel sees, and writes any quote character as \' or \"; plain options
like `ktest=all smp=2` arrive unchanged.
"""
import os
import re
import subprocess
from pathlib import Path

SAFE_WORD_RE = re.compile(r"[\w=.,:/+@%-]+")


def grub_quote(word):
    """Quote one word for GRUB's shell-like config language."""
    if SAFE_WORD_RE.fullmatch(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def parse_module(spec):
    """'PATH' or 'PATH=NAME' -> (path, name); the name defaults to the
    file name and is what the kernel sees as the module's string."""
    path, sep, name = spec.partition("=")
    return path, (name if sep else os.path.basename(path))


def run_config(cmdline, modules):
    """The text of quiesce-run.cfg; module i is stored as /mod<i>."""
    words = " ".join(grub_quote(w) for w in (cmdline or "").split())
    lines = [f"multiboot2 ($root)/boot/quiesce.elf {words}".rstrip()]
    for i, spec in enumerate(modules):
        name = " ".join(grub_quote(w) for w in parse_module(spec)[1].split())
        lines.append(f"module2 ($qrun)/mod{i} {name}".rstrip())
    lines.append("boot")
    return "\n".join(lines) + "\n"


def make_run_disk(tmp, cmdline, modules):
    """Build the FAT image with mtools and return its path."""
    image = Path(tmp) / "qrun.img"
    config = Path(tmp) / "quiesce-run.cfg"
    config.write_text(run_config(cmdline, modules))
    files = [(config, "quiesce-run.cfg")]
    files += [(parse_module(s)[0], f"mod{i}") for i, s in enumerate(modules)]
    payload = sum(os.path.getsize(path) for path, _ in files)
    # 2880 sectors is a 1.44 MB floppy; grow for big modules, with slack
    # for the FAT itself.
    sectors = max(2880, payload // 512 * 11 // 10 + 2048)
    mtools = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    subprocess.run(["mformat", "-i", image, "-C", "-T", str(sectors), "::"],
                   check=True, env=mtools, stdout=subprocess.DEVNULL)
    for path, name in files:
        subprocess.run(["mcopy", "-i", image, path, f"::/{name}"],
                       check=True, env=mtools)
    return image
