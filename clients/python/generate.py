"""Regenerate the Python gRPC code of mockingbird_testing from proto/, or check it is current.

    python clients/python/generate.py          # rewrite src/mockingbird_testing/_generated/mockingbird
    python clients/python/generate.py --check  # fail, naming the stale file, when it is out of date

Run it with the pinned grpcio-tools of requirements-dev.txt (scripts/client-python-tests.sh
does): another version writes other code, and the check would call the files stale.

Layout. The protos import each other as `mockingbird/v1/common.proto`, so protoc writes modules
that import each other as `mockingbird.v1.common_pb2`, and the protobuf runtime registers them
under those file names. Rewriting the imports would mean editing generated files by hand, so
instead they are generated, untouched, into `_generated/` (`-I proto`, output `_generated/`),
and `_generated/__init__.py` (written by hand, never by this script) puts that folder on
`sys.path`: `mockingbird.v1` is then importable exactly as protoc expects. The script adds an
empty `__init__.py` to each generated folder so `mockingbird` is a regular package.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CLIENT = Path(__file__).resolve().parent
REPO = CLIENT.parent.parent
PROTO = REPO / "proto"
GENERATED = CLIENT / "src" / "mockingbird_testing" / "_generated"
# Everything this script writes lives under here; the folder's own __init__.py is hand-written.
GENERATED_ROOT = GENERATED / "mockingbird"
COMMAND = "python clients/python/generate.py"
REQUIREMENTS = CLIENT / "requirements-dev.txt"


def require_pinned_grpcio_tools() -> None:
    """Refuse to run with another grpcio-tools than requirements-dev.txt pins: its output
    differs, so every file would look stale (or be rewritten for no reason)."""
    pins = dict(line.strip().split("==", 1) for line in REQUIREMENTS.read_text().splitlines() if "==" in line and not line.startswith("#"))
    wanted = pins["grpcio-tools"]
    try:
        installed = importlib.metadata.version("grpcio-tools")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != wanted:
        raise SystemExit(
            f"generate.py needs grpcio-tools=={wanted} (requirements-dev.txt), found {installed or 'none'} "
            f"for {sys.executable}: run it with clients/python/.venv/bin/python (scripts/client-python-tests.sh makes it)"
        )


def generate(proto_dir: Path, out_dir: Path) -> None:
    """Write the Python modules, gRPC stubs and type stubs of every .proto under proto_dir."""
    require_pinned_grpcio_tools()
    protos = sorted(str(p.relative_to(proto_dir)) for p in proto_dir.rglob("*.proto"))
    out_dir.mkdir(parents=True, exist_ok=True)
    # grpc_tools.protoc puts the well-known types it ships (google/protobuf/*.proto) on the
    # include path itself: no system protoc needed.
    command = [
        sys.executable, "-m", "grpc_tools.protoc", "-I", str(proto_dir),
        f"--python_out={out_dir}", f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}", *protos,
    ]
    result = subprocess.run(command, cwd=proto_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"generating from {proto_dir} failed:\n{' '.join(command)}\n{result.stderr}")
    for folder in (out_dir / "mockingbird").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__":
            (folder / "__init__.py").touch()
    (out_dir / "mockingbird" / "__init__.py").touch()


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def stale_files(proto_dir: Path = PROTO, checked_in: Path = GENERATED) -> list[str]:
    """The generated files (relative to `checked_in`) that differ from what proto_dir generates:
    changed, missing or left over. Empty when the checked-in code is current."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        generate(proto_dir, fresh)
        # Only the generated tree: the hand-written _generated/__init__.py is not compared.
        wanted, present = _files(fresh / "mockingbird"), _files(checked_in / "mockingbird")
        differing = {
            name for name in wanted & present
            if not filecmp.cmp(fresh / "mockingbird" / name, checked_in / "mockingbird" / name, shallow=False)
        }
        return sorted(f"mockingbird/{name}" for name in differing | (wanted ^ present))


def staleness_report(stale: list[str], checked_in: Path = GENERATED) -> str:
    """One sentence per stale file, naming it and the command that fixes it."""
    lines = []
    for name in stale:
        path = checked_in / name
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        lines.append(f"{shown} is stale against proto/: run `{COMMAND}` and commit the result.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the checked-in code is stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        if stale:
            print(staleness_report(stale), file=sys.stderr)
            return 1
        print(f"generated code is current with proto/ ({GENERATED.relative_to(REPO)})")
        return 0
    shutil.rmtree(GENERATED_ROOT, ignore_errors=True)
    generate(PROTO, GENERATED)
    print(f"regenerated {GENERATED_ROOT.relative_to(REPO)} from proto/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
