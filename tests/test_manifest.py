"""Validate manifest.json, hacs.json and the translation files.

hassfest and the HACS action run as containers on GitHub; these checks apply the same
published rules here, so a broken manifest fails the test suite first.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import __version__ as ha_version
from homeassistant.loader import Manifest

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "printernizer"

IOT_CLASSES = {
    "assumed_state",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
    "calculated",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
# https://hacs.xyz/docs/publish/start/#hacsjson
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "hacs",
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_follows_hassfest_rules() -> None:
    """Keys known to Home Assistant, domain and name first, the rest sorted."""
    manifest = _load(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert set(keys) <= set(Manifest.__annotations__)
    assert manifest["domain"] == INTEGRATION.name == "printernizer"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert manifest["requirements"] == []
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"] == f"{manifest['documentation']}/issues"
    # Custom integrations must carry a version that AwesomeVersion reads as SemVer.
    version = AwesomeVersion(manifest["version"])
    assert version.strategy is AwesomeVersionStrategy.SEMVER


def test_hacs_json() -> None:
    """Only keys HACS knows; the minimum Home Assistant version is the tested one."""
    hacs = _load(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "Printernizer"
    assert AwesomeVersion(ha_version) >= AwesomeVersion(hacs["homeassistant"])
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", hacs["homeassistant"])


def test_readme_and_manifest_agree_on_repository() -> None:
    """README links to the repository the manifest names."""
    manifest = _load(INTEGRATION / "manifest.json")
    assert manifest["documentation"] in (ROOT / "README.md").read_text(encoding="utf-8")


def _keys(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    keys: set[str] = set()
    for key, value in tree.items():
        keys |= _keys(value, f"{prefix}.{key}" if prefix else key)
    return keys


def _placeholders(tree: Any) -> dict[str, set[str]]:
    flat: dict[str, set[str]] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}")
        else:
            flat[prefix] = set(re.findall(r"{(\w+)}", node))

    walk(tree, "")
    return flat


def test_translations_match_strings() -> None:
    """en.json is strings.json; de.json translates every key, keeping placeholders."""
    strings = _load(INTEGRATION / "strings.json")
    english = _load(INTEGRATION / "translations" / "en.json")
    german = _load(INTEGRATION / "translations" / "de.json")
    assert english == strings
    assert _keys(german) == _keys(strings)
    assert _placeholders(german) == _placeholders(strings)
    # Custom integrations are not built by core's translation script: no references.
    assert "[%key:" not in json.dumps(strings)


def test_icons_cover_translated_entities() -> None:
    """Every translated entity has an icon, and icons.json names no unknown entity."""
    strings = _load(INTEGRATION / "strings.json")
    icons = _load(INTEGRATION / "icons.json")
    for platform, entities in icons["entity"].items():
        assert set(entities) <= set(strings["entity"][platform]), platform


def test_brand_icons() -> None:
    """The brand icons Home Assistant serves for a custom integration exist at their sizes."""
    from PIL import Image

    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(INTEGRATION / "brand" / name) as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"


def _quality_scale() -> dict[str, Any]:
    import yaml

    rules: dict[str, Any] = yaml.safe_load(
        (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    )["rules"]
    return rules


def test_quality_scale_names_every_rule() -> None:
    """quality_scale.yaml answers every rule core integrations answer, and no other."""
    from homeassistant import components
    import yaml

    reference = Path(components.__file__).parent / "uptime_kuma" / "quality_scale.yaml"
    rules = set(yaml.safe_load(reference.read_text(encoding="utf-8"))["rules"])
    ours = _quality_scale()
    assert set(ours) == rules
    assert len(rules) == 54
    for rule, value in ours.items():
        assert isinstance(value, dict), f"{rule}: status and comment"
        assert value["status"] in {"done", "exempt", "todo"}, rule
        assert value["comment"], rule


# A file of the repository or of the integration, optionally with a test in it.
_EVIDENCE = re.compile(r"([\w@.*/-]+\.(?:py|ambr|json|yaml|png|md|toml))(?:::(\w+))?")


def test_quality_scale_evidence_exists() -> None:
    """Every rule marked done names its evidence, and that evidence exists."""
    for rule, value in _quality_scale().items():
        if value["status"] != "done":
            continue
        comment = value["comment"]
        found = [*_EVIDENCE.finditer(comment)]
        named_script = "scripts/" in comment
        assert found or named_script, f"{rule}: no file or test named"
        for match in found:
            path, test = match.group(1), match.group(2)
            candidates = [
                *ROOT.glob(path.rstrip(".")),
                *INTEGRATION.glob(path.rstrip(".")),
            ]
            assert candidates, f"{rule}: {path} does not exist"
            if test is not None:
                assert any(
                    re.search(rf"def {test}\(", candidate.read_text(encoding="utf-8"))
                    for candidate in candidates
                ), f"{rule}: no test {test} in {path}"
