"""A participant's first visit stays within the 45,000 B transfer-size budget, with a help request open
too, and a repeat visit loads only the HTML (bench/page_weight.py fetches everything through the app,
WhiteNoise included)."""

import importlib.util
import re
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "page_weight.py"


def test_first_visit_within_the_transfer_budget_and_assets_cached_for_good(capsys):
    spec = importlib.util.spec_from_file_location("page_weight", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main()
    out = capsys.readouterr().out
    assert "/static/js/check." in out and "test-tone" in out
    assert "of 45,000 B budget" in out
    # never htmx; the small help status poller only while a help request is open (a second first visit)
    usual, with_help = out.split("first visit with a help request open (")
    assert "htmx" not in out
    assert "help-status" not in usual and "/static/js/help-status." in with_help
    totals = re.search(r"first loads: ([\d,]+) B, ([\d,]+) B with a help request open; budget 45,000 B each", out)
    assert totals and all(int(total.replace(",", "")) <= 45_000 for total in totals.groups()), out
    assert "(br," in out  # served compressed
    assert "immutable: yes" in out
    assert status == 0, out
