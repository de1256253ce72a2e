"""report.html in headless Chromium: it renders, every image decodes, no console errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import write_toy

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path("/tmp/bioseq-report-screenshot.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed"),
]

# Appended to a copy of the page: after load, write how many images decoded
# into the DOM so that --dump-dom shows it.
CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var decoded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  var out = document.createElement("div");
  out.id = "image-check";
  out.textContent = "images=" + images.length + " decoded=" + decoded.length;
  document.body.appendChild(out);
});
</script>
"""


def run_chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_report_renders_in_chromium(tmp_path):
    paths = write_toy(tmp_path / "eval")
    page = paths["report"].read_text()
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", CHECK_SCRIPT + "</body>"))

    dom = run_chromium(tmp_path / "profile-dom", "--virtual-time-budget=5000", "--dump-dom",
                       checked.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    match = re.search(r"images=(\d+) decoded=(\d+)", dom.stdout)
    assert match is not None, dom.stdout[-2000:]
    assert int(match.group(1)) == 7
    assert match.group(2) == match.group(1)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []

    shot = run_chromium(tmp_path / "profile-shot", "--window-size=1200,2400",
                        f"--screenshot={SCREENSHOT}", paths["report"].as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert SCREENSHOT.stat().st_size > 10_000
