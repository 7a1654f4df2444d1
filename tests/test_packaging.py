"""Packaging that holds on a fresh machine: the wheel carries the bundled policies and finds them
through importlib.resources only; the sdist carries what its tests need."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True, timeout=600, capture_output=True,
    )
    return out


def test_wheel_carries_the_bundled_policies(built: Path) -> None:
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for policy in ("halton_conduct", "platform_commitments", "kingdom_relations",
                   "citizen_persistent_contact"):
        assert f"policyengine/_bundled/{policy}.yaml" in names
        assert f"policyengine/_bundled/scenarios/{policy}.yaml" in names
    assert "policyengine/py.typed" in names
    # the editor schemas, where the bundled policies' schema line points (../schemas/), and the
    # render templates
    assert "policyengine/schemas/policy.schema.json" in names
    assert "policyengine/schemas/scenario.schema.json" in names
    assert "policyengine/render/templates/policy.html.j2" in names


def test_sdist_carries_what_its_tests_need(built: Path) -> None:
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    for needed in ("LICENSE", "tests/conftest.py", "tests/oracle/reference.py",
                   "tests/broken_policies/gap.yaml", "policies/halton_conduct.yaml",
                   "policies/scenarios/halton_conduct.yaml", "docs/policy-format.md"):
        assert f"{top}/{needed}" in names, needed


def test_vendored_install_ignores_a_policies_folder_beside_it(built: Path, tmp_path: Path) -> None:
    """`pip install --target vendor` next to an app's own policies/: load_policies() with no
    path loads the bundled policies, never the app's files."""
    (wheel,) = built.glob("*.whl")
    vendor = tmp_path / "vendor"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--target", str(vendor), str(wheel)],
        check=True, timeout=300, capture_output=True,
    )
    app = tmp_path / "app"
    (app / "policies").mkdir(parents=True)
    (app / "policies" / "decoy.yaml").write_text("not: a policy\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(vendor), *sys.path[1:]])}
    probe = (
        "import policyengine, policyengine.policyset as p;"
        "s = policyengine.load_policies();"
        "print(sorted(s.names)); print(p.BUNDLED_POLICIES)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=app, env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    names, where = done.stdout.splitlines()
    assert names == str(["citizen_persistent_contact", "halton_conduct", "kingdom_relations",
                         "platform_commitments"])
    assert Path(where).resolve().is_relative_to(vendor.resolve())


def test_importing_and_deciding_prints_no_warnings() -> None:
    """The library's users see no third-party notices (holidays 0.62 warns at its import)."""
    probe = ("import policyengine; policyengine.add_working_days('2026-01-02', 1, 'scotland');"
             "policyengine.load_policies().decide('halton_conduct', 'appeal_deadline',"
             " {'notification_received': '2026-04-01'}, as_of='2026-04-01')")
    done = subprocess.run([sys.executable, "-W", "error", "-c", probe], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_the_version_constant_is_the_distribution_version() -> None:
    """``policyengine.__version__`` (the fallback when the code runs uninstalled) is the version
    pyproject.toml gives the distribution, so a record names the same release either way."""
    import tomllib

    import policyengine
    from policyengine._version import __version__

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert project["project"]["version"] == __version__ == policyengine.__version__
