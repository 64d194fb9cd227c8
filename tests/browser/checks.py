"""What every browser test shares: logging in as a person does, and what it may assert about a
page: axe-core finds no accessibility violation (in light and dark), and nothing is wider than
the viewport.

axe-core is evaluated through the DevTools protocol (page.evaluate), so the site's Content
Security Policy does not have to allow it; it comes from tests/browser/vendor/, not a CDN.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.factories import PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# Rules and tags: WCAG 2.1 A and AA plus axe's best practices (landmarks, one h1, skip links...).
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""

# Visible elements that reach past the viewport's edges, or past a box that clips or scrolls
# them (a table wider than its card), except inside code samples (<pre>, .secret-box), which
# scroll by design.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => el.matches("pre, .secret-box code");
  const TRUNCATING = ".sr-only, .video-frame";
  const clips = el => { const o = getComputedStyle(el).overflowX; return o === "auto" || o === "scroll" || o === "hidden"; };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // The first ancestor that clips: a box reaching past it is cut off, unless it truncates on
    // purpose (ellipsis, visually hidden); then that ancestor is what must fit the viewport.
    let shown = box;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (!clips(up)) continue;
      const frame = up.getBoundingClientRect();
      if (frame.width <= 1 || up.matches(TRUNCATING) || getComputedStyle(up).textOverflow === "ellipsis") shown = frame;
      else if (box.right > frame.right + 1) shown = {left: 0, right: Infinity};
      break;
    }
    if (shown.right <= width + 1 && shown.left >= -1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.position === "fixed") continue;
    let holder = el.parentElement, held = false;
    while (holder && holder !== document.body) {
      if (scrolls(holder)) { held = true; break; }
      holder = holder.parentElement;
    }
    if (held) continue;
    out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " " + Math.round(box.left) + ".." + Math.round(box.right));
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 10)};
}"""


@cache
def _axe_source() -> str:
    return AXE.read_text()


def axe_violations(tab) -> list[dict]:
    if not tab.evaluate("typeof window.axe !== 'undefined'"):
        tab.evaluate(_axe_source())
    return tab.evaluate(RUN_AXE)


def log_in(tab, email: str) -> None:
    """Log in through the login page with the test password, and wait for the page after it."""
    tab.goto("/accounts/login/")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url("**/")


def assert_accessible(tab, where: str = "", impacts: tuple[str, ...] | None = None) -> None:
    """axe-core finds no violation on the page as it is (with `impacts`, none of those impacts)."""
    violations = [v for v in axe_violations(tab) if impacts is None or v["impact"] in impacts]
    assert not violations, f"axe-core on {where or tab.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
    )


def assert_fits(tab, where: str = "") -> None:
    found = tab.evaluate(OVERFLOWING)
    assert found["scrollWidth"] <= found["width"] and not found["out"], (
        f"wider than the {found['width']} px viewport on {where or tab.url}: {found}"
    )


def assert_fits_and_accessible(tab, where: str) -> None:
    """Nothing is wider than the viewport, and axe-core finds nothing in the light or the dark
    colour scheme (the page is left in light)."""
    assert_fits(tab, where)
    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        assert_accessible(tab, f"{where} ({scheme})")
    tab.emulate_media(color_scheme="light")
