"""Open the fixture report in headless Chromium, as a reader would: every image loads and nothing is wider
than the window. A probe script is appended to a copy of the HTML; Chromium's --dump-dom returns its verdict."""

import json
import re
import shutil
import subprocess
import tempfile

import pytest
from report_fixture import render_fixture_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

PROBE = """
<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt);
  const width = document.documentElement.clientWidth;
  const name = e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className;
  // outside a table's own scroll box nothing may reach past the window
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('.table-wrap > table') && e.getBoundingClientRect().right > width + 1)
    .map(name).slice(0, 20);
  // tables that need their scroll box (too wide to show whole)
  const scrolled = [...document.querySelectorAll('.table-wrap')]
    .filter(w => w.scrollWidth > w.clientWidth + 1).map(w => name(w.firstElementChild));
  const out = {images: imgs.length, broken, wide, scrolled, scrollWidth: document.documentElement.scrollWidth, width};
  const pre = document.createElement('pre'); pre.id = 'probe-result'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1200, 800])
def test_images_load_and_nothing_overflows(tmp_path, width):
    out = render_fixture_report(tmp_path)
    page = tmp_path / "report" / "probe.html"
    page.write_text(out["html"].replace("</body>", PROBE + "</body>"))
    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             f"--window-size={width},1000", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=180).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', dom, re.S)
    assert found, "the probe did not run"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["images"] > 10
    assert result["broken"] == [], result["broken"]
    assert result["scrollWidth"] <= result["width"], result["wide"]
    assert result["wide"] == [], result["wide"]
    if width >= 1200:  # on a desktop window the lab's own tables show whole, without scrolling
        assert [t for t in result["scrolled"] if "-table" in t] == [], result["scrolled"]
