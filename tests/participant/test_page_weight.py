"""A participant's first visit stays within the 45 KB transfer-size budget and a repeat visit loads only the HTML
(bench/page_weight.py fetches everything through the app, WhiteNoise included)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "page_weight.py"


def test_first_visit_within_the_transfer_budget_and_assets_cached_for_good(capsys):
    spec = importlib.util.spec_from_file_location("page_weight", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main()
    out = capsys.readouterr().out
    assert "/static/js/check." in out and "test-tone" in out
    # htmx only while a help request is open (the page polls it): measured as a second first visit.
    usual, with_help = out.split("first visit with a help request open")
    assert "htmx" not in usual and "htmx" in with_help
    assert "(br," in out  # served compressed
    assert "immutable: yes" in out
    assert status == 0, out
