"""The page's own JavaScript and CSS stay under the 60 KB budget (bench/page_weight.py)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "page_weight.py"


def test_own_scripts_and_styles_within_budget(capsys):
    spec = importlib.util.spec_from_file_location("page_weight", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main()
    out = capsys.readouterr().out
    assert "/static/js/check.js" in out and "htmx" in out
    assert status == 0, out
