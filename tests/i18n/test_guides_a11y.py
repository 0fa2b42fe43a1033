"""The FAQ by screen reader: heading links named after their section, a search that announces a
count (not the whole list) and does not fill the history."""

from __future__ import annotations

import re


def test_each_heading_link_names_its_section(client):
    html = client.get("/guides/camera-problems?lang=en").get_data(as_text=True)
    labels = re.findall(r'<a class="heading-anchor"[^>]*aria-label="([^"]+)"', html)
    assert labels and len(set(labels)) == len(labels)
    assert all(label.startswith("Link to the section “") for label in labels)
    assert "Link to this section" not in html
    french = client.get("/guides/camera-problems?lang=fr").get_data(as_text=True)
    assert re.search(r'aria-label="Lien vers la section «(\u00a0|&nbsp;)[^"]+(\u00a0|&nbsp;)»"', french)


def test_search_results_are_not_a_live_region_and_replace_the_url(client):
    page = client.get("/guides/?lang=en").get_data(as_text=True)
    results = re.search(r'<div id="guide-results"[^>]*>', page).group(0)
    assert "aria-live" not in results
    search = re.search(r'<input id="guide-q"[^>]*>', page).group(0)
    assert 'hx-replace-url="true"' in search and "hx-push-url" not in search
    assert re.search(r'<p class="visually-hidden" id="guide-search-status" role="status"></p>', page)

    answer = client.get(
        "/guides/?lang=en&q=camera", headers={"HX-Request": "true", "HX-Target": "guide-results"}
    ).get_data(as_text=True)
    status = re.search(r'<p id="guide-search-status" hx-swap-oob="innerHTML">([^<]*)</p>', answer)
    assert status and re.fullmatch(r"\d+ guides? found", status.group(1))
    cleared = client.get("/guides/?lang=en&q=", headers={"HX-Request": "true", "HX-Target": "guide-results"})
    assert re.search(r'id="guide-search-status" hx-swap-oob="innerHTML"></p>', cleared.get_data(as_text=True))
