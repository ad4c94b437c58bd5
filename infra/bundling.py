"""Lambda packaging without Docker: the application code asset and the dependency layer.

Both assets are bundled locally (``ILocalBundling``) and carry a custom hash computed from their inputs,
so CDK fingerprints neither the repository root nor the bundle output, and skips a bundle whose
``cdk.out/asset.<hash>`` directory already exists (the layer is only rebuilt when a pin changes).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
# Handler strings are module paths from the code root (functions.tracking.handler.lambda_handler),
# so the asset holds these packages at its top level.
APP_CODE_PACKAGES = ("functions", "shared")
# The Lambda Python runtime already ships these; the layer leaves them out.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore"})
LAYER_PYTHON_VERSION = "3.13"
LAYER_PLATFORM = "manylinux2014_aarch64"
_SKIPPED_PARTS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


def app_code_files(root: Path = REPO_ROOT) -> Iterator[Path]:
    """The files of the code asset, relative to ``root``, in a stable order."""
    for package in APP_CODE_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not _SKIPPED_PARTS & set(relative.parts) and path.suffix not in _SKIPPED_SUFFIXES:
                yield relative


def app_code_hash(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for relative in app_code_files(root):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update((root / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def layer_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> tuple[str, ...]:
    """The run-time pins from ``[project].dependencies``, minus what the Lambda runtime provides."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return tuple(
        requirement
        for requirement in dependencies
        if re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower() not in RUNTIME_PROVIDED
    )


def layer_hash(requirements: tuple[str, ...]) -> str:
    key = "\n".join((LAYER_PYTHON_VERSION, LAYER_PLATFORM, *requirements))
    return hashlib.sha256(key.encode()).hexdigest()


def pip_install_command(requirements: tuple[str, ...], target: Path) -> list[str]:
    """uv from the virtual environment when present (fast), else pip; both resolve arm64 cp313 wheels only."""
    uv = Path(sys.executable).with_name("uv")
    if uv.exists():
        installer = [str(uv), "pip", "install", "--python", sys.executable]
        platform = ["--python-platform", "aarch64-manylinux2014", "--python-version", LAYER_PYTHON_VERSION]
    else:
        installer = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
        platform = ["--platform", LAYER_PLATFORM, "--implementation", "cp", "--python-version", LAYER_PYTHON_VERSION]
    return [*installer, "--quiet", "--target", str(target), *platform, "--only-binary=:all:", *requirements]


@jsii.implements(ILocalBundling)
class CopyAppCode:
    """Copies functions/ and shared/ (no bytecode caches) into the bundle."""

    def __init__(self, root: Path = REPO_ROOT) -> None:
        self._root = root

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        for relative in app_code_files(self._root):
            destination = Path(output_dir) / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self._root / relative, destination)
        return True


@jsii.implements(ILocalBundling)
class PipInstallLayer:
    """Installs the pinned run-time dependencies as arm64 / CPython 3.13 wheels under python/."""

    def __init__(self, requirements: tuple[str, ...]) -> None:
        self._requirements = requirements

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        target = Path(output_dir) / "python"
        subprocess.run(pip_install_command(self._requirements, target), check=True, stdout=sys.stderr)
        # Console scripts are useless in a layer, and bytecode is compiled for the wrong interpreter.
        shutil.rmtree(target / "bin", ignore_errors=True)
        for cache in target.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        return True


def _local_bundling(local: ILocalBundling) -> BundlingOptions:
    # The image is never pulled: the local bundler always succeeds or raises.
    return BundlingOptions(image=DockerImage.from_registry("unused"), local=local)


def app_code(root: Path = REPO_ROOT) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(root),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=app_code_hash(root),
        bundling=_local_bundling(CopyAppCode(root)),
    )


def layer_code(requirements: tuple[str, ...]) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=layer_hash(requirements),
        bundling=_local_bundling(PipInstallLayer(requirements)),
    )
