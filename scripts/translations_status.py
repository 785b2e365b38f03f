"""Show what each translation lacks compared with strings.json.

Run `python3 scripts/translations_status.py [LANGUAGE ...]` (default: every file in
translations/ but en.json). For each language it prints the keys to translate with their
English text, keys strings.json no longer has, and values still equal to the English.
Exits with status 1 when a language lacks a key or has one too many.
"""

import json
from pathlib import Path
import sys
from typing import Any

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components/printernizer"


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Map each leaf's dotted key path to its value."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat |= flatten(value, f"{prefix}.{key}" if prefix else key)
    return flat


def load(path: Path) -> dict[str, Any]:
    """Read a translation file, flattened."""
    return flatten(json.loads(path.read_text(encoding="utf-8")))


def report(language: str, english: dict[str, Any]) -> bool:
    """Print the status of one language; return whether its keys match."""
    path = INTEGRATION / "translations" / f"{language}.json"
    if not path.is_file():
        print(
            f"{language}: {path.name} does not exist ({len(english)} keys to translate)"
        )
        return False
    translated = load(path)
    missing = [key for key in english if key not in translated]
    extra = [key for key in translated if key not in english]
    equal = [key for key in english if translated.get(key) == english[key]]
    print(
        f"{language}: {len(missing)} missing, {len(extra)} extra, "
        f"{len(equal)} equal to English"
    )
    for key in missing:
        print(f"  missing  {key}: {english[key]!r}")
    for key in extra:
        print(f"  extra    {key}")
    for key in equal:
        print(f"  english  {key}: {english[key]!r}")
    return not missing and not extra


def main() -> int:
    """Report every language asked for, or all of them."""
    english = load(INTEGRATION / "strings.json")
    languages = sys.argv[1:] or sorted(
        path.stem
        for path in (INTEGRATION / "translations").glob("*.json")
        if path.stem != "en"
    )
    complete = [report(language, english) for language in languages]
    return 0 if all(complete) else 1


if __name__ == "__main__":
    sys.exit(main())
