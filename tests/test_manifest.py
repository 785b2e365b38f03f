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
import pytest

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


# Every language shipped besides English; a new file in translations/ must be added here.
LANGUAGES = ("de", "es", "fr", "it", "nl", "pl")
# Values equal to the English one are legitimate for product names, units and words a
# language borrows from English ("URL", "Server", "Status", "Online", "Password"): at most
# 6 % of any file when this was written. A file left in English, or a block of new keys
# copied over untranslated, passes 15 %.
MAX_SHARE_EQUAL_TO_ENGLISH = 0.15
# No sentence reads the same in two of these languages: four words or more equal to the
# English are an untranslated value, whatever the share.
MAX_WORDS_EQUAL_TO_ENGLISH = 3


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Map each leaf's dotted key path to its value."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat |= _flatten(value, f"{prefix}.{key}" if prefix else key)
    return flat


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def test_english_translation_is_strings() -> None:
    """en.json is strings.json, without core's key references."""
    strings = _load(INTEGRATION / "strings.json")
    assert _load(INTEGRATION / "translations" / "en.json") == strings
    # Custom integrations are not built by core's translation script: no references.
    assert "[%key:" not in json.dumps(strings)


def test_every_translation_file_is_checked() -> None:
    """The translation tests cover every file in translations/."""
    files = {path.stem for path in (INTEGRATION / "translations").glob("*.json")}
    assert files == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_match_strings(language: str) -> None:
    """Every key of strings.json, no other, each translated with its placeholders."""
    path = INTEGRATION / "translations" / f"{language}.json"
    assert path.is_file(), f"{language}: {path.name} is missing"
    english = _flatten(_load(INTEGRATION / "strings.json"))
    translated = _flatten(_load(path))

    missing = sorted(english.keys() - translated.keys())
    extra = sorted(translated.keys() - english.keys())
    assert not missing, f"{language}: untranslated keys {missing}"
    assert not extra, f"{language}: keys not in strings.json {extra}"

    not_text = [key for key, value in translated.items() if not isinstance(value, str)]
    assert not not_text, f"{language}: values that are not text {not_text}"
    empty = [key for key, value in translated.items() if not value.strip()]
    assert not empty, f"{language}: empty values {empty}"
    wrong_placeholders = {
        key: (sorted(_placeholders(translated[key])), sorted(_placeholders(text)))
        for key, text in english.items()
        if _placeholders(translated[key]) != _placeholders(text)
    }
    assert not wrong_placeholders, (
        f"{language}: placeholders (translated, English) differ {wrong_placeholders}"
    )

    equal = [key for key, text in english.items() if translated[key] == text]
    sentences = [
        key for key in equal if len(english[key].split()) > MAX_WORDS_EQUAL_TO_ENGLISH
    ]
    assert not sentences, f"{language}: left in English {sentences}"
    assert len(equal) <= MAX_SHARE_EQUAL_TO_ENGLISH * len(english), (
        f"{language}: {len(equal)} of {len(english)} values equal the English {equal}"
    )


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
